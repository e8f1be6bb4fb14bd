import { PassThrough, Writable } from "node:stream";
import { Exec, type KubeConfig, type V1Status } from "@kubernetes/client-node";
// Not re-exported by the package index, but needed to give exec its own streams (see execClient).
import { WebSocketHandler } from "@kubernetes/client-node/dist/web-socket-handler.js";
import type WebSocket from "ws";
import { RuntimeError } from "../types";
import { socketErrorMessage } from "./errors";
import { CONTAINER_NAME, type WorkspaceRef } from "./names";

// Commands in the workspace container through the apiserver's exec
// endpoint: the terminal's interactive shell (terminal.ts) and short
// commands whose output Podspace reads (runInPod).

export type Exit = { code: number | null; reason?: string };

/**
 * client-node's Exec on streams of its own: its default handler would end
 * this process's stdout and stderr when the server closes a channel.
 */
export function execClient(kubeConfig: KubeConfig, streams: { stdin?: PassThrough; stdout: Writable; stderr: Writable }): Exec {
  const handler = new WebSocketHandler(kubeConfig, undefined, { stdin: streams.stdin ?? new PassThrough(), stdout: streams.stdout, stderr: streams.stderr });
  return new Exec(kubeConfig, handler);
}

/** The exec status channel: Success, or Failure with reason NonZeroExitCode and the code as a cause. */
export function exitOf(status: V1Status): Exit {
  if (status.status === "Success") return { code: 0 };
  const exitCode = status.details?.causes?.find((cause) => cause.reason === "ExitCode")?.message;
  if (status.reason === "NonZeroExitCode" && exitCode !== undefined) return { code: Number(exitCode) };
  return { code: null, reason: status.message ?? "The command ended" };
}

export interface CommandResult {
  stdout: string;
  stderr: string;
  /** How the command ended; `reason` says why when it could not run at all (e.g. no such executable). */
  exit: Exit;
}

export interface RunOptions {
  /** A command that hasn't ended by then is abandoned (its connection closed). */
  timeoutMs: number;
  /** More output than this (stdout and stderr together) abandons the command. */
  maxOutputBytes: number;
}

/**
 * Runs `command` (no TTY, no stdin) in the workspace container and collects
 * its output. Rejects with "unavailable" when the exec can't be opened or
 * is given up on (too slow, too much output); a command that runs and fails
 * resolves with its exit.
 */
export async function runInPod(kubeConfig: KubeConfig, ref: WorkspaceRef, command: string[], options: RunOptions): Promise<CommandResult> {
  const what = `${command.join(" ")} in pod ${ref.namespace}/${ref.pod}`;
  let socket: WebSocket | undefined;
  let giveUp!: (error: RuntimeError) => void;
  const givenUp = new Promise<never>((_, reject) => (giveUp = reject));
  let abandoned = false;
  const abandon = (reason: string) => {
    abandoned = true;
    socket?.terminate(); // not close(): that waits for the other side's answer
    giveUp(new RuntimeError("unavailable", `${what} ${reason}`));
  };

  const chunks = { stdout: [] as Buffer[], stderr: [] as Buffer[] };
  let received = 0;
  const collector = (into: Buffer[]) =>
    new Writable({
      write: (chunk: Buffer, _encoding, callback) => {
        received += chunk.length;
        if (received > options.maxOutputBytes) abandon(`wrote more than ${options.maxOutputBytes} bytes`);
        else into.push(chunk);
        callback();
      },
    });
  const stdout = collector(chunks.stdout);
  const stderr = collector(chunks.stderr);
  let exit: Exit | undefined;
  // From the start: an apiserver or kubelet that never answers the exec must not hold the caller either.
  const timer = setTimeout(() => abandon(`did not finish within ${options.timeoutMs / 1000} s`), options.timeoutMs);
  try {
    const opening = execClient(kubeConfig, { stdout, stderr }).exec(ref.namespace, ref.pod, CONTAINER_NAME, command, stdout, stderr, null, false, (status) => {
      exit = exitOf(status);
    }) as Promise<WebSocket>;
    // A socket that opens only after the command was given up on is closed at once.
    opening.then((opened) => abandoned && opened.terminate(), () => {});
    socket = await Promise.race([
      opening.catch((error: unknown) => {
        throw new RuntimeError("unavailable", `Could not run ${what}: ${socketErrorMessage(error)}`, { cause: error });
      }),
      givenUp,
    ]);
    const open = socket;
    const closed = new Promise<void>((resolve) => {
      if (open.readyState === open.CLOSED) return resolve();
      open.on("error", () => {}); // followed by "close"
      open.on("close", () => resolve());
    });
    await Promise.race([closed, givenUp]);
  } finally {
    clearTimeout(timer);
  }
  const text = (buffers: Buffer[]) => Buffer.concat(buffers).toString("utf8");
  return { stdout: text(chunks.stdout), stderr: text(chunks.stderr), exit: exit ?? { code: null, reason: "The connection to the workspace was lost" } };
}
