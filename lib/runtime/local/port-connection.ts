import net from "node:net";
import type { Duplex } from "node:stream";
import { RuntimeError } from "../types";

// A connection to a port on a workspace sandbox's loopback, through its
// relay's ports socket (sandbox-relay.mjs): the port goes first, in a line,
// and the relay answers "+" once it has connected, or hangs up when nothing
// listens there.

export function connectToPort(socketPath: string, port: number, workspaceName: string): Promise<Duplex> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(socketPath);
    socket.once("connect", () => socket.write(`${port}\n`));
    socket.once("error", (error: NodeJS.ErrnoException) => {
      // No socket at all: a sandbox started before the relay served ports, or one on its way out.
      reject(new RuntimeError("unavailable", `Workspace ${workspaceName} can't be reached: ${error.code ?? error.message}`, { cause: error }));
    });
    const refused = () => reject(new RuntimeError("not-listening", `Nothing is listening on port ${port} in ${workspaceName}`));
    socket.once("end", refused);
    socket.once("close", refused);
    socket.once("readable", function answer() {
      const reply = socket.read(1) as Buffer | null;
      if (reply === null) return void socket.once("readable", answer);
      socket.off("end", refused);
      socket.off("close", refused);
      if (reply.toString() !== "+") {
        socket.destroy();
        return refused();
      }
      resolve(socket);
    });
  });
}
