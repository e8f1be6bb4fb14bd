import { Readable, Transform } from "node:stream";
import type { ReadableStream as WebReadableStream } from "node:stream/web";
import { AppError } from "@/lib/errors";
import { env } from "@/lib/env";
import type { WorkspaceForRuntime } from "@/lib/workspaces/runtime-spec";
import { ApiError } from "../errors";
import { runInWorkspace } from "./exec";

// Copying files in and out of a workspace as tar archives, made and
// unpacked by `tar` inside the workspace, as its user: what a download may
// read and an upload may write is what that user may, and nothing outside
// the workspace is reachable, whatever the paths in an archive say.

/** A directory's contents, or one file with its name, as a tar on stdout; exit 2 with a message when there is no such path. */
const PACK = 'if [ -d "$1" ]; then cd -- "$1" && exec tar -cf - .; elif [ -e "$1" ]; then cd -- "$(dirname -- "$1")" && exec tar -cf - -- "$(basename -- "$1")"; else echo "No such file or directory: $1" >&2; exit 2; fi';
/** The tar on stdin unpacked into the directory, made first when missing. */
const UNPACK = 'mkdir -p -- "$1" && cd -- "$1" && exec tar -xf -';
/** Long enough for a large tree over a slow link; the client hanging up ends it sooner. */
const COPY_TIMEOUT_MS = 60 * 60_000;

/** What a download holds of tar's output for a client slower than tar; beyond it, tar waits. */
const DOWNLOAD_BUFFER_BYTES = 256 * 1024;

/**
 * A tar stream of `path` in the workspace, answered once tar has started
 * writing (so a missing path is a 404, not a broken 200). The answer holds
 * the slot until the stream ends; `done` is called then. tar goes no faster
 * than the client reads: once DOWNLOAD_BUFFER_BYTES wait to be sent, its
 * output is held back until the client takes some.
 */
export async function downloadTar(workspace: WorkspaceForRuntime, path: string, signal: AbortSignal, done: () => void): Promise<Response> {
  const stderr: Buffer[] = [];
  const abort = new AbortController();
  signal.addEventListener("abort", () => abort.abort(), { once: true });
  let body!: ReadableStreamDefaultController<Uint8Array>;
  let started!: () => void;
  const firstOutput = new Promise<void>((resolve) => (started = resolve));
  // Resolved when the client wants more, or when the download is over: a killed tar's last output must flow for it to end.
  let wanted: (() => void) | undefined;
  const release = () => {
    wanted?.();
    wanted = undefined;
  };
  abort.signal.addEventListener("abort", release, { once: true });
  const stream = new ReadableStream<Uint8Array>(
    {
      start: (controller) => void (body = controller),
      pull: release,
      cancel: () => abort.abort(),
    },
    { highWaterMark: DOWNLOAD_BUFFER_BYTES, size: (chunk) => chunk.byteLength },
  );
  const run = runInWorkspace(workspace, {
    command: ["/bin/sh", "-c", PACK, "sh", path],
    timeoutMs: COPY_TIMEOUT_MS,
    signal: abort.signal,
    onStdout: (chunk) => {
      started();
      // Nobody reads any more (the client went, the token was revoked): dropped.
      if (abort.signal.aborted) return;
      body.enqueue(new Uint8Array(chunk));
      if ((body.desiredSize ?? 0) <= 0) return new Promise<void>((resolve) => (wanted = resolve));
    },
    onStderr: (chunk) => stderr.push(chunk),
  });
  void run.then(
    (result) => (result.exitCode === 0 && !abort.signal.aborted ? body.close() : body.error(new Error(`tar ended with ${result.exitCode ?? "a signal"}`))),
    (error: unknown) => body.error(error),
  ).finally(done);

  const result = await Promise.race([firstOutput.then(() => null), run]);
  if (result && result.exitCode !== 0) {
    const message = Buffer.concat(stderr).toString("utf8").trim();
    throw result.exitCode === 2 ? new AppError("not_found", message) : new AppError("invalid", message || "tar could not pack that path.");
  }
  return new Response(stream, { headers: { "Content-Type": "application/x-tar", "Cache-Control": "no-store" } });
}

/** Unpacks the tar `body` (at most PODSPACE_API_MAX_UPLOAD_MB) into `path` in the workspace; `signal` stops it. */
export async function uploadTar(workspace: WorkspaceForRuntime, path: string, request: Request, signal: AbortSignal): Promise<number> {
  const limit = env.PODSPACE_API_MAX_UPLOAD_MB * 2 ** 20;
  const tooLarge = new ApiError("too_large", `An upload is at most ${env.PODSPACE_API_MAX_UPLOAD_MB} MiB here; send parts of it, one archive each.`);
  if (Number(request.headers.get("content-length") ?? 0) > limit) throw tooLarge;
  if (!request.body) throw new AppError("invalid", "Send the tar archive as the request body.");

  const abort = new AbortController();
  signal.addEventListener("abort", () => abort.abort(), { once: true });
  let received = 0;
  // Counted on its way through (a "data" listener would start the flow before the command reads it).
  const counted = Readable.fromWeb(request.body as WebReadableStream<Uint8Array>).pipe(
    new Transform({
      transform(chunk: Buffer, _encoding, callback) {
        received += chunk.length;
        if (received > limit) abort.abort();
        callback(null, chunk);
      },
    }),
  );
  const stderr: Buffer[] = [];
  const result = await runInWorkspace(workspace, {
    command: ["/bin/sh", "-c", UNPACK, "sh", path],
    stdin: counted,
    timeoutMs: COPY_TIMEOUT_MS,
    signal: abort.signal,
    onStdout: () => {},
    onStderr: (chunk) => stderr.push(chunk),
  });
  if (received > limit) throw tooLarge;
  if (result.exitCode !== 0) throw new AppError("invalid", Buffer.concat(stderr).toString("utf8").trim() || "tar could not unpack the archive.");
  return received;
}
