// `kubectl exec` as the kubelet serves it over WebSocket (remotecommand):
// channels 0 stdin, 1 stdout, 2 stderr, 3 error/status, 4 resize. The
// command runs in the pod's network namespace with the container's home and
// env: under a pseudo-terminal (node-pty) with tty=1, on plain pipes without.
import { spawn } from "node:child_process";
import os from "node:os";
import * as pty from "node-pty";
import type { WebSocket } from "ws";
import { parseFrame, sendFrame } from "./channels";
import { inSandbox } from "./sandbox";

/** The kubelet's exec subprotocols; v4 reports the exit as a JSON Status, older ones as text. */
export const EXEC_PROTOCOLS = ["v4.channel.k8s.io", "v3.channel.k8s.io", "v2.channel.k8s.io", "channel.k8s.io"];

const STDIN = 0;
const STDOUT = 1;
const STDERR = 2;
const ERROR = 3;
const RESIZE = 4;

export interface ExecOptions {
  command: string[];
  tty: boolean;
  stdin: boolean;
  stdout: boolean;
  stderr: boolean;
}

export interface ExecTarget {
  sandboxPid: number;
  homeDir: string;
  env: Record<string, string>;
}

/** The kubelet's query parameters (the apiserver rewrites the client's stdin/stdout/… into these). */
export function parseExecOptions(query: URLSearchParams): ExecOptions | string {
  const flag = (name: string) => query.get(name) === "1" || query.get(name) === "true";
  const tty = flag("tty");
  const options = {
    command: query.getAll("command"),
    tty,
    stdin: flag("input"),
    stdout: flag("output"),
    // Under a tty the terminal merges stderr into stdout; the kubelet drops the stream.
    stderr: flag("error") && !tty,
  };
  if (options.command.length === 0) return "you must specify at least one command for the container";
  if (!options.stdin && !options.stdout && !options.stderr) {
    return "you must specify at least 1 of stdin, stdout, stderr";
  }
  return options;
}

interface Session {
  write(data: Buffer): void;
  resize(cols: number, rows: number): void;
  kill(): void;
}

export function serveExec(ws: WebSocket, target: ExecTarget, options: ExecOptions): void {
  const argv = inSandbox(target.sandboxPid, options.command);
  // The kubelet's first message: an empty frame on the lowest stream it will
  // write, telling the client the streams are set up.
  sendFrame(ws, options.stdout ? STDOUT : options.stderr ? STDERR : ERROR, "");

  let finished = false;
  const finish = (exitCode: number) => {
    if (finished) return; // a failed spawn reports both "error" and "close"
    finished = true;
    const status = exitStatus(ws.protocol, options.command, exitCode);
    if (status) sendFrame(ws, ERROR, status);
    ws.close(1000);
  };
  const session = options.tty ? startTty(ws, argv, target, finish) : startPiped(ws, argv, target, options, finish);

  ws.on("message", (message: Buffer, isBinary: boolean) => {
    const frame = isBinary ? parseFrame(message) : undefined;
    if (frame?.channel === STDIN && options.stdin) session.write(frame.data);
    const size = frame?.channel === RESIZE ? parseSize(frame.data) : undefined;
    if (size) session.resize(size.cols, size.rows);
  });
  // The client went away (v4 has no other way to end stdin): end the command too.
  ws.on("close", () => session.kill());
}

function startTty(ws: WebSocket, argv: string[], target: ExecTarget, finish: (code: number) => void): Session {
  const [file, ...args] = argv;
  const term = pty.spawn(file!, args, {
    name: target.env.TERM ?? "xterm-256color",
    cols: 80,
    rows: 24,
    cwd: target.homeDir,
    env: target.env,
  });
  term.onData((data) => sendFrame(ws, STDOUT, data));
  // node-pty emits exit only after the last output has been read.
  term.onExit(({ exitCode, signal }) => finish(signal ? 128 + signal : exitCode));
  return {
    write: (data) => term.write(data),
    resize: (cols, rows) => term.resize(cols, rows),
    kill: () => killGroup(term.pid, "SIGHUP"), // a closed terminal hangs up its session
  };
}

function startPiped(
  ws: WebSocket,
  argv: string[],
  target: ExecTarget,
  options: ExecOptions,
  finish: (code: number) => void,
): Session {
  const [file, ...args] = argv;
  const child = spawn(file!, args, {
    cwd: target.homeDir,
    // Next's global types make ProcessEnv.NODE_ENV mandatory; a pod's env has none.
    env: target.env as NodeJS.ProcessEnv,
    stdio: ["pipe", "pipe", "pipe"],
    detached: true, // its own group, so that killing it reaches what it started
  });
  child.stdout.on("data", (chunk: Buffer) => options.stdout && sendFrame(ws, STDOUT, chunk));
  child.stderr.on("data", (chunk: Buffer) => options.stderr && sendFrame(ws, STDERR, chunk));
  child.stdin.on("error", () => {}); // EPIPE: the command stopped reading
  if (!options.stdin) child.stdin.end();
  // "close", unlike "exit", comes after stdout and stderr are drained.
  child.on("close", (code, signal) => finish(code ?? 128 + (signal ? os.constants.signals[signal] : 0)));
  child.on("error", () => finish(126));
  return {
    write: (data) => child.stdin.write(data),
    resize: () => {}, // no terminal to resize
    kill: () => child.pid !== undefined && killGroup(child.pid, "SIGKILL"),
  };
}

/**
 * A resize message. Go decodes {"Width","Height"} case-insensitively, and
 * client-node sends {"width","height"}; anything malformed is ignored.
 */
function parseSize(data: Buffer): { cols: number; rows: number } | undefined {
  try {
    const size = JSON.parse(data.toString()) as Record<string, unknown>;
    const cols = size.Width ?? size.width;
    const rows = size.Height ?? size.height;
    return typeof cols === "number" && typeof rows === "number" && cols > 0 && rows > 0 ? { cols, rows } : undefined;
  } catch {
    return undefined;
  }
}

/** What the kubelet writes on the error channel when the command ends ("" for nothing). */
function exitStatus(protocol: string, command: string[], exitCode: number): string {
  const message = `command terminated with non-zero exit code: error executing command [${command.join(" ")}], exit code ${exitCode}`;
  if (protocol !== "v4.channel.k8s.io") return exitCode === 0 ? "" : message;
  if (exitCode === 0) return JSON.stringify({ metadata: {}, status: "Success" });
  return JSON.stringify({
    metadata: {},
    status: "Failure",
    message,
    reason: "NonZeroExitCode",
    details: { causes: [{ reason: "ExitCode", message: String(exitCode) }] },
  });
}

function killGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch {
    // already gone
  }
}
