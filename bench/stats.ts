export interface Summary {
  p50: number;
  p95: number;
  p99: number;
  max: number;
}

/** Nearest-rank percentiles of durations in milliseconds. */
export function summarize(samples: number[]): Summary {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (p: number) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;
  return { p50: at(50), p95: at(95), p99: at(99), max: sorted.at(-1) ?? NaN };
}

export function printTable(title: string, rows: Record<string, Summary>): void {
  console.log(`\n${title}`);
  const format = (ms: number) => (ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(1)} ms`);
  for (const [name, summary] of Object.entries(rows)) {
    console.log(`  ${name.padEnd(52)} p50 ${format(summary.p50).padStart(9)}   p95 ${format(summary.p95).padStart(9)}   p99 ${format(summary.p99).padStart(9)}   max ${format(summary.max).padStart(9)}`);
  }
}
