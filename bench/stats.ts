/** Percentiles of durations in milliseconds. */
export interface Latency {
  p50: number;
  p95: number;
  p99: number;
  max: number;
}

/** Megabytes (10^6 bytes) per second, one value per run of `bytes` bytes. */
export interface Throughput {
  kind: "throughput";
  runs: number[];
  bytes: number;
  /** Printed after the numbers, e.g. runs that didn't complete. */
  note?: string;
}

/** A row that could not be measured, and why: printed, never silently left out. */
export interface Unavailable {
  kind: "unavailable";
  reason: string;
}

/** A quantity sampled over a run (memory, say): where it started, its highest, where it ended. */
export interface Level {
  kind: "level";
  unit: string;
  start: number;
  peak: number;
  end: number;
}

/** One run of something too long to repeat: how long it took, and what it moved. */
export interface Once {
  kind: "once";
  ms: number;
  /** Printed after the time, e.g. bytes processed and uploaded. */
  detail: string;
}

/** How one row measured against its peer's (the goals are relative: a proxy against a direct connection, a bridge against the raw pty). */
export interface Comparison {
  kind: "comparison";
  figures: Array<{ label: string; value: string }>;
}

/** What a benchmark reports on one row of its table. */
export type Summary = Latency | Throughput | Level | Once | Comparison | Unavailable;

/** The median run of a throughput row, in MB/s. */
export function medianRate(row: Throughput): number {
  const sorted = [...row.runs].sort((a, b) => a - b);
  return sorted[Math.floor((sorted.length - 1) / 2)] ?? NaN;
}

/** `row` against `peer`: its median throughput as a factor of the peer's, or its latency percentiles likewise and as what it adds. */
export function compare(row: Summary | undefined, peer: Summary | undefined): Comparison["figures"] {
  if (!row || !peer) return [];
  if ("kind" in row && row.kind === "throughput" && "kind" in peer && peer.kind === "throughput") {
    return [{ label: "throughput", value: `${(medianRate(row) / medianRate(peer)).toFixed(2)}×` }];
  }
  if (!("kind" in row) && !("kind" in peer)) {
    return (["p50", "p99"] as const).map((p) => ({ label: p, value: `${(row[p] / peer[p]).toFixed(2)}× (${row[p] - peer[p] >= 0 ? "+" : ""}${(row[p] - peer[p]).toFixed(3)} ms)` }));
  }
  return [];
}

/** Nearest-rank percentiles of durations in milliseconds. */
export function summarize(samples: number[]): Latency {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (p: number) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;
  return { p50: at(50), p95: at(95), p99: at(99), max: sorted.at(-1) ?? NaN };
}

export function printTable(title: string, rows: Record<string, Summary>): void {
  console.log(`\n${title}`);
  const format = (ms: number) => (ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : ms < 1 ? `${ms.toFixed(3)} ms` : `${ms.toFixed(1)} ms`);
  const rate = (mbps: number) => `${mbps.toFixed(1)} MB/s`.padStart(11);
  const width = Math.max(52, ...Object.keys(rows).map((name) => name.length));
  for (const [name, row] of Object.entries(rows)) {
    const label = `  ${name.padEnd(width)}`;
    if (!("kind" in row)) {
      console.log(`${label} p50 ${format(row.p50).padStart(9)}   p95 ${format(row.p95).padStart(9)}   p99 ${format(row.p99).padStart(9)}   max ${format(row.max).padStart(9)}`);
    } else if (row.kind === "throughput") {
      const sorted = [...row.runs].sort((a, b) => a - b);
      console.log(`${label} median ${rate(medianRate(row))}   min ${rate(sorted[0] ?? NaN)}   max ${rate(sorted.at(-1) ?? NaN)}   (${row.runs.length} runs${row.note ? `; ${row.note}` : ""})`);
    } else if (row.kind === "comparison") {
      console.log(`${label} ${row.figures.map(({ label: what, value }) => `${what} ${value}`).join("   ") || "not measured"}`);
    } else if (row.kind === "level") {
      const level = (value: number) => `${value.toFixed(0)} ${row.unit}`.padStart(9);
      console.log(`${label} start ${level(row.start)}   peak ${level(row.peak)}   end ${level(row.end)}`);
    } else if (row.kind === "once") {
      console.log(`${label} ${format(row.ms).padStart(9)}   ${row.detail}`);
    } else {
      console.log(`${label} UNAVAILABLE: ${row.reason}`);
    }
  }
}
