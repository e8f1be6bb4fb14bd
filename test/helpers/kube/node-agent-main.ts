// The node agent's process (node-agent-process.ts): started with a
// kubeconfig's path, says "node-agent ready <node>" once its Node is
// registered, and stops everything it started when its stdin closes.
import { KubeConfig } from "@kubernetes/client-node";
import { startNodeAgent } from "./node-agent";

const kubeConfig = new KubeConfig();
kubeConfig.loadFromFile(process.argv[2]!);
const agent = await startNodeAgent({ kubeConfig });
console.log(`node-agent ready ${agent.nodeName}`);
process.stdin.resume();
process.stdin.on("end", () => {
  void agent.stop().finally(() => process.exit(0));
});
