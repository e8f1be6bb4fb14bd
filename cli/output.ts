// How commands print: one JSON document with --json, for machines; aligned
// columns or a sentence otherwise, for people.

export interface Output {
  json: boolean;
  /** The command's result: `value` as JSON with --json, else what `human` prints. */
  result(value: unknown, human: () => void): void;
  /** A line for people on stdout (nothing with --json). */
  line(text: string): void;
}

export function output(json: boolean): Output {
  return {
    json,
    result: (value, human) => (json ? console.log(JSON.stringify(value, null, 2)) : human()),
    line: (text) => {
      if (!json) console.log(text);
    },
  };
}

/** Rows under a header, each column as wide as its widest cell. */
export function printTable(header: string[], rows: string[][]): void {
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => (row[column] ?? "").length)));
  for (const row of [header, ...rows]) console.log(row.map((cell, column) => cell.padEnd(widths[column]!)).join("  ").trimEnd());
}
