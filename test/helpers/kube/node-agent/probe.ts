// A readiness probe's HTTP GET, made from inside the pod's network namespace:
// Node can't open a socket in another namespace, so socat (run there through
// nsenter) carries one hand-written HTTP/1.0 request.
import { spawn } from "node:child_process";
import type { V1HTTPGetAction } from "@kubernetes/client-node";
import { inSandbox, SOCAT } from "./sandbox";

/**
 * Resolves with the response's status code; rejects when nothing answers in
 * time. `port` is already resolved (named ports looked up by the caller).
 */
export function httpProbe(
  sandboxPid: number,
  action: V1HTTPGetAction,
  target: { host: string; port: number; timeoutMs: number },
): Promise<number> {
  const hostHeader = action.httpHeaders?.find((h) => h.name.toLowerCase() === "host")?.value;
  const headers = [
    `Host: ${hostHeader ?? `${target.host}:${target.port}`}`,
    // The kubelet's own User-Agent, for servers that log or treat probes specially.
    "User-Agent: kube-probe/1.20",
    "Accept: */*",
    ...(action.httpHeaders ?? []).filter((h) => h.name.toLowerCase() !== "host").map((h) => `${h.name}: ${h.value}`),
  ];
  const request = `GET ${action.path ?? "/"} HTTP/1.0\r\n${headers.join("\r\n")}\r\n\r\n`;

  const [file, ...args] = inSandbox(sandboxPid, [SOCAT, "-", `TCP:${target.host}:${target.port}`]);
  const child = spawn(file!, args, { stdio: ["pipe", "pipe", "pipe"] });
  return new Promise<number>((resolve, reject) => {
    let head = "";
    let stderr = "";
    const finish = (outcome: () => void) => {
      clearTimeout(timer);
      child.kill("SIGKILL");
      outcome();
    };
    const timer = setTimeout(
      () => finish(() => reject(new Error(`timeout after ${target.timeoutMs}ms`))),
      target.timeoutMs,
    );
    child.stdout.setEncoding("latin1");
    child.stdout.on("data", (chunk: string) => {
      head += chunk;
      const status = /^HTTP\/\d\.\d (\d{3})/.exec(head);
      if (status) finish(() => resolve(Number(status[1])));
    });
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    child.on("error", (error) => finish(() => reject(error)));
    child.on("close", () =>
      finish(() => reject(new Error(stderr.trim().replace(/^.*? socat\[\d+\] E /, "") || "connection closed without a response"))),
    );
    // stdin stays open until the answer arrives: closing it would half-close the connection early.
    child.stdin.on("error", () => {}); // EPIPE when the connection was refused
    child.stdin.write(request);
  });
}
