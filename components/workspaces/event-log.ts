import type { WorkspaceEventView } from "@/lib/workspaces/get-workspace";

// The activity log's rows. A runtime may report the same thing again and
// again (a retried step, a probe that keeps failing); in a row those repeats
// say nothing new, so they fold into one row that counts them.

export interface EventRow {
  /** The latest of the folded events: its time and duration are the row's. */
  event: WorkspaceEventView;
  /** How many consecutive events the row stands for (1: just this one). */
  count: number;
}

/** Same step, message and level, and for state events the same move. */
const sameReport = (a: WorkspaceEventView, b: WorkspaceEventView) =>
  a.step === b.step && a.message === b.message && a.level === b.level && a.data?.from === b.data?.from && a.data?.to === b.data?.to;

/** `events` (oldest first) as rows, newest first, with consecutive repeats folded into one. */
export function eventRows(events: readonly WorkspaceEventView[]): EventRow[] {
  const rows: EventRow[] = [];
  for (const event of events) {
    const last = rows.at(-1);
    if (last && sameReport(last.event, event)) rows[rows.length - 1] = { event, count: last.count + 1 };
    else rows.push({ event, count: 1 });
  }
  return rows.reverse();
}
