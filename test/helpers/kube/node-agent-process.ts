// The node agent (node-agent.ts) in a process of its own, as a kubelet is:
// for benchmarks, whose measurements must not include the agent's work on
// Podspace's event loop (each pod's readiness probe and exec is a spawned
// process, and spawn() forks the calling process synchronously, so in the
// benchmark's own process those forks block the code being measured).
// Tests keep the agent in-process, where they can reach into it.
import { spawn, type ChildProcess } from "node:child_process";
import path from "node:path";
import readline from "node:readline";
import { fileURLToPath } from "node:url";

const ENTRY = path.join(path.dirname(fileURLToPath(import.meta.url)), "node-agent-main.ts");
const READY = "node-agent ready";

export interface NodeAgentProcess {
  nodeName: string;
  /** Stops the agent (its pods, watches and Node) and waits for its process to end. */
  stop(): Promise<void>;
}

export async function startNodeAgentProcess(kubeconfigPath: string): Promise<NodeAgentProcess> {
  // stdin is the agent's lifeline: when this process ends, the pipe closes and the agent stops.
  const child: ChildProcess = spawn(process.execPath, ["--import", "tsx", ENTRY, kubeconfigPath], { stdio: ["pipe", "pipe", "inherit"] });
  const exited = new Promise<number | null>((resolve) => child.once("exit", resolve));
  const nodeName = await new Promise<string>((resolve, reject) => {
    readline.createInterface({ input: child.stdout! }).on("line", (line) => {
      if (line.startsWith(READY)) resolve(line.slice(READY.length).trim());
    });
    void exited.then((code) => reject(new Error(`the node agent exited with ${code} before it was ready`)));
  });
  return {
    nodeName,
    async stop() {
      child.stdin!.end();
      await exited;
    },
  };
}
