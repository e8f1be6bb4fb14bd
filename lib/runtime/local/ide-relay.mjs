// Runs inside a workspace's sandbox, on Podspace's own Node.js: the IDE
// listens on the sandbox's private loopback, which nothing outside can reach,
// so Podspace reaches it through this Unix socket in the workspace's runtime
// dir, a directory only Podspace and this workspace can see. Plain
// JavaScript with no imports but Node's: the sandbox has nothing else of
// Podspace's.
import fs from "node:fs";
import net from "node:net";

const [socketPath, port] = process.argv.slice(2);
fs.rmSync(socketPath, { force: true });
net
  .createServer((client) => {
    const ide = net.connect(Number(port), "127.0.0.1");
    client.pipe(ide).pipe(client);
    ide.once("error", () => client.destroy());
    client.once("error", () => ide.destroy());
  })
  .listen(socketPath);
