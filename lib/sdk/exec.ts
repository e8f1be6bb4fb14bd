import { pipeline, Writable, type Readable } from "node:stream";
import { StringDecoder } from "node:string_decoder";
import type { WebSocket } from "ws";
import { API_ERROR_STATUS } from "../api/error-status";
import { PodspaceApiError } from "./errors";
import type { ApiErrorCode, ExecExit, ExecRequest } from "./types";

// A command run over the exec WebSocket (lib/api/v1/exec-socket.ts has the
// protocol): the request as the first message, stdin as frames that wait
// for the socket to take each one, output to callbacks as it comes, and the
// exit (or the API's error) as the result.

export interface ExecOptions extends Omit<ExecRequest, "command" | "stdin"> {
  /**
   * Its standard input: a string (all of it), or a stream sent as it comes and
   * ended with it (read as UTF-8 text: the protocol carries text). Without it,
   * its input is empty. A stream still open when the command ends is destroyed.
   */
  stdin?: string | Readable;
  onStdout?: (data: string) => void;
  onStderr?: (data: string) => void;
  /** Aborting closes the socket, which kills the command with everything it started; the promise rejects with the signal's reason. */
  signal?: AbortSignal;
}

type ServerMessage =
  | { type: "stdout"; data: string }
  | { type: "stderr"; data: string }
  | { type: "exit"; exitCode: number | null; timedOut: boolean }
  | { type: "error"; code: ApiErrorCode; message: string };

/** The server's close code when the token was revoked, or its owner lost the workspace, during the command. */
const CLOSE_ACCESS_LOST = 4401;

/** Runs `command` over the open exec `socket` until it ends; the socket is closed then. */
export function execOverSocket(socket: WebSocket, command: string[], { stdin, onStdout, onStderr, signal, ...request }: ExecOptions): Promise<ExecExit> {
  const streamed = stdin !== undefined && typeof stdin !== "string";
  socket.send(JSON.stringify({ ...request, command, ...(typeof stdin === "string" ? { stdin } : {}), stdinOpen: streamed }));
  return new Promise((resolve, reject) => {
    let outcome: ExecExit | PodspaceApiError | undefined;
    let inputError: Error | undefined;
    let socketError: Error | undefined;
    const input = streamed
      ? sendStdin(socket, stdin, (error) => {
          inputError = error;
          socket.close();
        })
      : undefined;
    const abort = () => socket.close();
    signal?.addEventListener("abort", abort, { once: true });
    if (signal?.aborted) abort();

    socket.on("message", (data) => {
      const message = JSON.parse(String(data)) as ServerMessage;
      if (message.type === "stdout") onStdout?.(message.data);
      else if (message.type === "stderr") onStderr?.(message.data);
      else if (message.type === "exit") outcome = { exitCode: message.exitCode, timedOut: message.timedOut };
      else outcome = new PodspaceApiError(API_ERROR_STATUS[message.code] ?? 500, message.code, message.message);
    });
    // A socket error (a reset connection) is followed by its close, where it is reported.
    socket.on("error", (error) => (socketError = error));
    socket.once("close", (code, reason) => {
      signal?.removeEventListener("abort", abort);
      input?.destroy();
      if (signal?.aborted) reject(signal.reason);
      else if (outcome instanceof PodspaceApiError) reject(outcome);
      else if (outcome) resolve(outcome);
      else reject(inputError ?? connectionLost(code, reason.toString("utf8"), socketError));
    });
  });
}

/** Streams `stdin` as stdin frames, each sent once the socket has written the last (backpressure), then eof; `failed` on a read error. */
function sendStdin(socket: WebSocket, stdin: Readable, failed: (error: Error) => void): Writable {
  const decoder = new StringDecoder("utf8");
  const send = (message: object, callback: (error?: Error) => void) => socket.send(JSON.stringify(message), callback);
  const frames = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      const data = decoder.write(chunk);
      if (data) send({ type: "stdin", data }, callback);
      else callback();
    },
    final(callback) {
      const rest = decoder.end();
      if (rest) send({ type: "stdin", data: rest }, () => undefined);
      send({ type: "eof" }, callback);
    },
  });
  pipeline(stdin, frames, (error) => {
    // Destroyed because the command ended: not a failure of the input.
    if (error && socket.readyState === socket.OPEN) failed(error);
  });
  return frames;
}

function connectionLost(code: number, reason: string, cause: Error | undefined): PodspaceApiError {
  if (code === CLOSE_ACCESS_LOST) return new PodspaceApiError(401, "unauthenticated", `Podspace ended the command: ${reason || "the token was revoked or lost access"}.`);
  const why = cause?.message ?? `close code ${code}${reason ? `: ${reason}` : ""}`;
  return new PodspaceApiError(503, "unavailable", `The connection to Podspace was lost before the command ended (${why}).`);
}
