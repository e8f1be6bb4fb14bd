import { Transform } from "node:stream";

// The bytes a copy has moved: counted on their way through, and shown on
// stderr as they grow when it is a terminal (a log gets no progress lines).

const REFRESH_MS = 200;
const UNITS = ["bytes", "KiB", "MiB", "GiB", "TiB"];

export interface ByteCount {
  stream: Transform;
  bytes(): number;
  /** Shows the final count (and ends the line); call it however the copy ended. */
  finish(): void;
}

export function countBytes(show: boolean): ByteCount {
  let bytes = 0;
  // Back to the line's start, and clear what a longer count left there.
  const draw = () => process.stderr.write(`\r${size(bytes)} copied\x1b[K`);
  const timer = show ? setInterval(draw, REFRESH_MS) : undefined;
  timer?.unref();
  const stream = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      bytes += chunk.length;
      callback(null, chunk);
    },
  });
  return {
    stream,
    bytes: () => bytes,
    finish: () => {
      clearInterval(timer);
      if (!show) return;
      draw();
      process.stderr.write("\n");
    },
  };
}

function size(bytes: number): string {
  const unit = Math.min(UNITS.length - 1, Math.floor(Math.log2(Math.max(bytes, 1)) / 10));
  return unit === 0 ? `${bytes} bytes` : `${(bytes / 2 ** (10 * unit)).toFixed(1)} ${UNITS[unit]}`;
}
