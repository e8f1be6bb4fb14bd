// The kubelet's HTTPS API, the part the apiserver proxies to: exec and
// port-forward (WebSocket upgrades relayed from the client) and container
// logs. The certificate is self-signed: the test control plane has no
// --kubelet-certificate-authority, so the apiserver doesn't verify it.
//
// The apiserver forwards a client's upgrade with the client's method and
// headers (Upgrade: websocket, Sec-WebSocket-Protocol, …); it is appended to
// kubelet-requests.log, handy when a client's handshake goes wrong.
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import { STATUS_CODES, type IncomingMessage, type ServerResponse } from "node:http";
import https from "node:https";
import type { AddressInfo } from "node:net";
import path from "node:path";
import type { Duplex } from "node:stream";
import { WebSocketServer, type WebSocket } from "ws";
import { pickProtocol } from "./channels";
import { EXEC_PROTOCOLS, parseExecOptions, serveExec } from "./exec";
import type { PodHandle } from "./pod-worker";
import { parsePorts, PORT_FORWARD_PROTOCOLS, servePortForward } from "./port-forward";

export interface KubeletServer {
  port: number;
  close(): Promise<void>;
}

// /exec/{namespace}/{pod}/{container} and /exec/{namespace}/{pod}/{uid}/{container}
const EXEC_PATH = /^\/exec\/([^/]+)\/([^/]+)\/(?:[^/]+\/)?([^/]+)$/;
// /portForward/{namespace}/{pod} and /portForward/{namespace}/{pod}/{uid}
const PORT_FORWARD_PATH = /^\/portForward\/([^/]+)\/([^/]+)(?:\/[^/]+)?$/;
const LOGS_PATH = /^\/containerLogs\/([^/]+)\/([^/]+)\/([^/]+)$/;

export async function startKubeletServer(options: {
  dir: string;
  nodeName: string;
  findPod(namespace: string, name: string): PodHandle | undefined;
}): Promise<KubeletServer> {
  const requestLog = path.join(options.dir, "kubelet-requests.log");
  const execSockets = new WebSocketServer({ noServer: true, handleProtocols: pickProtocol(EXEC_PROTOCOLS) });
  const forwardSockets = new WebSocketServer({
    noServer: true,
    handleProtocols: pickProtocol(PORT_FORWARD_PROTOCOLS),
  });

  const server = https.createServer(selfSignedCertificate(options.dir, options.nodeName), (req, res) => {
    logRequest(requestLog, req);
    serveHttp(req, res, options.findPod);
  });

  server.on("upgrade", (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    logRequest(requestLog, req);
    socket.on("error", () => {}); // a client that hangs up mid-handshake
    const refuse = (status: number, message: string) => {
      const body = `${message}\n`;
      socket.end(
        `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\n` +
          `Content-Type: text/plain; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\n` +
          `Connection: close\r\n\r\n${body}`,
      );
    };
    if (req.headers.upgrade?.toLowerCase() !== "websocket") {
      // kubectl speaks SPDY/3.1 here; the agent only speaks the WebSocket protocols.
      return refuse(400, `unsupported upgrade "${req.headers.upgrade}": only websocket is served`);
    }
    const url = new URL(req.url ?? "/", "https://kubelet");
    // The kubelet accepts the upgrade on POST as well as GET (kubectl posts);
    // the ws library insists on GET.
    req.method = "GET";

    const exec = EXEC_PATH.exec(url.pathname);
    if (exec) {
      const [namespace, name, container] = exec.slice(1).map(decodeURIComponent) as [string, string, string];
      const pod = options.findPod(namespace, name);
      if (!pod || pod.containerName !== container) {
        return refuse(404, `container "${container}" of pod ${namespace}/${name} not found on this node`);
      }
      if (!pod.running || pod.sandboxPid === undefined) {
        return refuse(400, `container "${container}" of pod ${namespace}/${name} is not running`);
      }
      const execOptions = parseExecOptions(url.searchParams);
      if (typeof execOptions === "string") return refuse(400, execOptions);
      const target = { sandboxPid: pod.sandboxPid, ...pod.running };
      return execSockets.handleUpgrade(req, socket, head, (ws: WebSocket) => serveExec(ws, target, execOptions));
    }

    const forward = PORT_FORWARD_PATH.exec(url.pathname);
    if (forward) {
      const [namespace, name] = forward.slice(1).map(decodeURIComponent) as [string, string];
      const pod = options.findPod(namespace, name);
      if (pod?.sandboxPid === undefined) return refuse(404, `pod ${namespace}/${name} is not running on this node`);
      const ports = parsePorts(url.searchParams);
      if (typeof ports === "string") return refuse(400, ports);
      const sandboxPid = pod.sandboxPid;
      return forwardSockets.handleUpgrade(req, socket, head, (ws: WebSocket) =>
        servePortForward(ws, sandboxPid, ports),
      );
    }
    refuse(404, `no such endpoint: ${url.pathname}`);
  });

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });

  return {
    port: (server.address() as AddressInfo).port,
    async close() {
      for (const ws of [...execSockets.clients, ...forwardSockets.clients]) ws.terminate();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

function serveHttp(req: IncomingMessage, res: ServerResponse, findPod: (ns: string, name: string) => PodHandle | undefined) {
  const url = new URL(req.url ?? "/", "https://kubelet");
  const text = (status: number, body: string) => {
    res.writeHead(status, { "Content-Type": "text/plain; charset=utf-8" });
    res.end(body);
  };
  if (url.pathname === "/healthz") return text(200, "ok");
  const logs = LOGS_PATH.exec(url.pathname);
  if (!logs || req.method !== "GET") return text(404, "404 page not found\n");
  const [namespace, name, container] = logs.slice(1).map(decodeURIComponent) as [string, string, string];
  const pod = findPod(namespace, name);
  if (!pod || pod.containerName !== container) {
    return text(404, `container "${container}" of pod ${namespace}/${name} not found on this node`);
  }
  // The whole log, whatever tailLines/since asked for; with follow, until the container ends.
  res.writeHead(200, { "Content-Type": "text/plain; charset=utf-8" });
  if (url.searchParams.get("follow") === "true") {
    void followLog(pod.logFile, res, () => findPod(namespace, name)?.running !== undefined);
    return;
  }
  fs.createReadStream(pod.logFile)
    .on("error", () => res.end())
    .pipe(res);
}

const FOLLOW_POLL_MS = 100;

/** Sends the log as it grows while `running()`, then what the container wrote last, then ends. */
async function followLog(file: string, res: ServerResponse, running: () => boolean): Promise<void> {
  const handle = await fs.promises.open(file, "r").catch(() => undefined);
  if (!handle) return void res.end();
  const buffer = Buffer.alloc(64 * 1024);
  try {
    while (!res.destroyed) {
      const wasRunning = running();
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, null);
      if (bytesRead > 0) res.write(Buffer.from(buffer.subarray(0, bytesRead)));
      else if (!wasRunning) break;
      else await new Promise((resolve) => setTimeout(resolve, FOLLOW_POLL_MS));
    }
  } finally {
    await handle.close();
    res.end();
  }
}

function selfSignedCertificate(dir: string, nodeName: string): { key: Buffer; cert: Buffer } {
  const keyFile = path.join(dir, "kubelet.key");
  const certFile = path.join(dir, "kubelet.crt");
  execFileSync(
    "openssl",
    [
      "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
      "-keyout", keyFile, "-out", certFile, "-days", "7",
      "-subj", `/CN=${nodeName}`, "-addext", `subjectAltName=IP:127.0.0.1,DNS:${nodeName}`,
    ],
    { stdio: ["ignore", "ignore", "pipe"] }, // openssl's complaint ends up in the thrown error
  );
  return { key: fs.readFileSync(keyFile), cert: fs.readFileSync(certFile) };
}

function logRequest(file: string, req: IncomingMessage): void {
  const headers = Object.entries(req.headers)
    .map(([name, value]) => `  ${name}: ${name === "authorization" ? "(redacted)" : String(value)}`)
    .join("\n");
  fs.appendFileSync(file, `${new Date().toISOString()} ${req.method} ${req.url}\n${headers}\n`);
}
