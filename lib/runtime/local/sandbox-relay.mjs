// Runs inside a workspace's sandbox, on Podspace's own Node.js: the IDE and
// the workspace's apps listen on the sandbox's private loopback, which
// nothing outside can reach, so Podspace reaches them through Unix sockets
// this relay binds in the workspace's runtime dir. It says "listening" on the
// handshake (the fd in its first argument) once they are bound, and Podspace
// then moves them to a folder of its own, out of the workspace's reach,
// before the workspace's code runs (sandbox.ts, takeRelaySockets):
// - the IDE socket forwards each connection to the IDE's port;
// - the ports socket forwards each connection to the port it names in its
//   first line ("3000\n"), answering "+" once connected, or closing when
//   nothing listens there (preview URLs).
// And one way out, to the AI gateway: a port on the sandbox's loopback whose
// connections it forwards to the gateway's Unix socket, mounted read-only
// from Podspace (lib/ai/gateway-server.ts serves nothing else there), so
// OPENAI_BASE_URL can be an http:// URL every tool takes.
// Plain JavaScript with no imports but Node's: the sandbox has nothing else
// of Podspace's.
import fs from "node:fs";
import net from "node:net";

const [handshakeFd, ideSocketPath, idePort, portsSocketPath, aiSocketPath, aiPort] = process.argv.slice(2);

function pipe(client, upstream) {
  client.pipe(upstream).pipe(client);
  upstream.once("error", () => client.destroy());
  client.once("error", () => upstream.destroy());
}

/** Connects to `port` on the loopback: IPv4 first, then IPv6 (a server on "localhost" may listen on either). */
function connectLoopback(port, onConnected, onRefused, hosts = ["127.0.0.1", "::1"]) {
  const upstream = net.connect(port, hosts[0]);
  upstream.once("connect", () => onConnected(upstream));
  upstream.once("error", () => (hosts.length > 1 ? connectLoopback(port, onConnected, onRefused, hosts.slice(1)) : onRefused()));
}

/** Resolves once the server listens on `socketPath`. */
function listen(socketPath, onConnection) {
  fs.rmSync(socketPath, { force: true });
  return new Promise((resolve, reject) => net.createServer(onConnection).once("error", reject).listen(socketPath, resolve));
}

const listening = [
  listen(ideSocketPath, (client) => pipe(client, net.connect(Number(idePort), "127.0.0.1"))),
  listen(portsSocketPath, (client) => {
    let line = "";
    const onData = (chunk) => {
      line += chunk.toString("latin1");
      const end = line.indexOf("\n");
      if (end < 0) return line.length > 8 && client.destroy();
      client.off("data", onData);
      client.pause();
      const port = Number(line.slice(0, end));
      const rest = Buffer.from(line.slice(end + 1), "latin1");
      if (!Number.isInteger(port) || port < 1 || port > 65535) return client.destroy();
      connectLoopback(
        port,
        (upstream) => {
          if (rest.length > 0) upstream.write(rest);
          client.write("+");
          pipe(client, upstream);
          client.resume();
        },
        () => client.destroy(),
      );
    };
    client.on("data", onData);
    client.once("error", () => client.destroy());
  }),
];
// Without its sockets the workspace has no IDE: exiting closes the handshake, and the start fails with this in its log.
Promise.all(listening).then(
  () => {
    fs.writeSync(Number(handshakeFd), "listening\n");
    fs.closeSync(Number(handshakeFd));
  },
  (error) => {
    console.error(`podspace relay: ${error.message}`);
    process.exit(1);
  },
);

if (aiSocketPath) {
  // A port taken by the workspace's own app leaves it without the gateway, not without its IDE.
  net
    .createServer((client) => pipe(client, net.connect(aiSocketPath)))
    .on("error", (error) => console.error(`podspace relay: the AI gateway's port ${aiPort}: ${error.message}`))
    .listen(Number(aiPort), "127.0.0.1");
}
