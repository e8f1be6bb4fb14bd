import net from "node:net";

// A load balancer in miniature: each TCP connection goes to the next backend
// in turn, skipping backends that refuse connections (a dead replica), and
// bytes are piped as they are. Like a Kubernetes Service without session
// affinity, it knows nothing of HTTP, cookies or WebSockets.

export interface RoundRobinProxy {
  port: number;
  /** The backend port each accepted connection went to, in order. */
  readonly routed: number[];
  close(): Promise<void>;
}

export async function startRoundRobinProxy(backendPorts: number[]): Promise<RoundRobinProxy> {
  let next = 0;
  const routed: number[] = [];
  const sockets = new Set<net.Socket>();

  const connect = (client: net.Socket, attempts: number) => {
    const port = backendPorts[next++ % backendPorts.length]!;
    const backend = net.connect(port, "127.0.0.1");
    sockets.add(backend);
    backend.once("close", () => sockets.delete(backend));
    let connected = false;
    backend.once("connect", () => {
      connected = true;
      routed.push(port);
      client.pipe(backend).pipe(client);
      client.on("error", () => backend.destroy());
      client.once("close", () => backend.destroy());
      backend.once("close", () => client.destroy());
    });
    backend.on("error", () => {
      if (!connected && attempts + 1 < backendPorts.length) connect(client, attempts + 1);
      else client.destroy();
    });
  };

  const server = net.createServer((client) => {
    sockets.add(client);
    client.once("close", () => sockets.delete(client));
    // Held until the backend is chosen, so nothing the client sent is lost.
    client.pause();
    connect(client, 0);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    routed,
    close: () =>
      new Promise((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
