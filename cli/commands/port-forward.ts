import net from "node:net";
import { z } from "zod";
import type { PodspaceClient } from "../../lib/sdk/client";
import { text, type Command } from "../command";
import { CliError, EXIT, usageError } from "../exit-codes";
import { interruption } from "../interruption";
import { workspaceId } from "../resolve";

// podspace port-forward <workspace> [<local>:]<remote>…, as kubectl's: a
// local listener per pair, and for each connection it accepts, one
// forwarded connection to the port in the workspace (the API's port
// forwarding WebSocket). A connection that fails says why on stderr (e.g.
// nothing listens there yet) and the listener keeps going, until Ctrl-C.

const port = z.number().int().min(0).max(65_535);
/** 8080:3000, or 3000 for the same port on both sides; a local 0 (or none before the colon) takes any free port. */
const portPair = z
  .string()
  .regex(/^(\d*:)?\d+$/)
  .transform((pair) => {
    const [local, remote] = pair.includes(":") ? pair.split(":") : [pair, pair];
    return { local: Number(local || 0), remote: Number(remote) };
  })
  .pipe(z.object({ local: port, remote: port.min(1) }));

type PortPair = z.output<typeof portPair>;

export const portForward: Command = {
  name: "port-forward",
  usage: "port-forward <name-or-id> [<local>:]<remote>… [--address <ip>]",
  summary: "Forward local ports to ports in a running workspace (a token with the exec scope) until Ctrl-C; --address is where to listen (default 127.0.0.1)",
  options: { address: { type: "string" } },
  async run(context) {
    const [name, ...specs] = context.positionals;
    if (name === undefined) throw usageError("Name the workspace.");
    if (specs.length === 0) throw usageError("Name the ports to forward: [<local>:]<remote>, e.g. 8080:3000.");
    const pairs = specs.map((spec) => {
      const parsed = portPair.safeParse(spec);
      if (!parsed.success) throw usageError(`${spec} is not [<local>:]<remote>, ports from 1 to 65535 (a local 0 takes any free one).`);
      return parsed.data;
    });
    const address = text(context.values, "address") ?? "127.0.0.1";
    const sdk = await context.client();
    // Looked up once, so that a workspace that isn't there is an error now, not at each connection.
    const workspace = await sdk.workspaces.get(await workspaceId(sdk, name));

    const listeners: net.Server[] = [];
    const connections = new Set<net.Socket>();
    try {
      for (const pair of pairs) listeners.push(await listen(address, pair, (local) => forward(sdk, workspace.id, pair.remote, local, connections)));
    } catch (error) {
      for (const listener of listeners) listener.close();
      throw error;
    }
    for (const [index, listener] of listeners.entries()) context.out.line(`Forwarding from ${hostPort(listener.address() as net.AddressInfo)} -> ${pairs[index]!.remote}`);

    // Until Ctrl-C (or SIGTERM): that is how it is meant to end, so the exit code is 0.
    const { signal } = interruption();
    await new Promise((resolve) => signal.addEventListener("abort", resolve, { once: true }));
    for (const listener of listeners) listener.close();
    for (const connection of connections) connection.destroy();
  },
};

function listen(address: string, pair: PortPair, onConnection: (socket: net.Socket) => void): Promise<net.Server> {
  const server = net.createServer(onConnection);
  return new Promise((resolve, reject) => {
    server.once("error", (error: NodeJS.ErrnoException) => {
      const why = error.code === "EADDRINUSE" ? "the port is in use" : error.code === "EACCES" ? "permission denied" : error.message;
      reject(new CliError(EXIT.apiError, `Can't listen on ${hostPort({ address, port: pair.local })}: ${why}.`));
    });
    server.listen(pair.local, address, () => resolve(server));
  });
}

/** One accepted connection, spliced to a new forwarded one; what goes wrong is said, and only this connection ends. */
function forward(sdk: PodspaceClient, workspace: string, remote: number, local: net.Socket, connections: Set<net.Socket>): void {
  connections.add(local);
  local.once("close", () => connections.delete(local));
  local.on("error", () => local.destroy());
  // Nothing is read until the far side is there.
  local.pause();
  const report = (what: string) => (error: Error) => {
    // Unless the local side went first: then there is nothing to tell.
    if (!local.destroyed) console.error(`podspace: connection to port ${remote} ${what}: ${error.message}`);
    local.destroy();
  };
  const opening = new AbortController();
  local.once("close", () => opening.abort());
  sdk.workspaces.forwardPort(workspace, remote, { signal: opening.signal }).then((stream) => {
    if (local.destroyed) return stream.destroy();
    stream.on("error", report("ended"));
    local.once("close", () => stream.destroy());
    local.pipe(stream).pipe(local);
  }, report("failed"));
}

const hostPort = ({ address, port }: { address: string; port: number }) => (address.includes(":") ? `[${address}]:${port}` : `${address}:${port}`);
