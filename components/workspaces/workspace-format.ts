import { formatNumber } from "@/lib/format";
import type { DesiredState, WorkspaceState } from "@/lib/generated/prisma/enums";

// Words and numbers for workspaces, shared by the list, the workspace page
// and its live view (server and client alike: no server-only imports here).

export type WorkspaceOperation = "start" | "stop" | "restart" | "retry" | "delete";

/** The operations that make sense now, in the order buttons show them. */
export function availableOperations(state: WorkspaceState, desiredState: DesiredState): WorkspaceOperation[] {
  if (desiredState === "DELETED" || state === "DELETING" || state === "DELETED") return [];
  const operations: WorkspaceOperation[] = [];
  if (state === "FAILED") operations.push("retry");
  else if (desiredState === "STOPPED") operations.push("start");
  if (state === "RUNNING" && desiredState === "RUNNING") operations.push("restart");
  // A failed workspace that is still meant to run holds its quota until stopped.
  if (desiredState === "RUNNING") operations.push("stop");
  operations.push("delete");
  return operations;
}

/** The newer template version a workspace can move to, or null (up to date, or the template is archived). */
export function updateOffer(template: { name: string; version: number; latestVersion: number; archived: boolean }) {
  return template.latestVersion > template.version && !template.archived ? { templateName: template.name, version: template.latestVersion } : null;
}

/** Whether the workspace is on its way somewhere: the UI shows a spinner and keeps watching. */
export function isTransitional(state: WorkspaceState, desiredState: DesiredState): boolean {
  if (state === "PENDING" || state === "STARTING" || state === "STOPPING" || state === "DELETING") return true;
  if (state === "FAILED") return false;
  return (desiredState === "RUNNING") !== (state === "RUNNING") || (desiredState === "DELETED" && state !== "DELETED");
}

const FAILURE_REASONS: Record<string, string> = {
  quota: "Over the team's quota",
  scheduling: "No room to run it",
  image: "The image could not be pulled",
  oom: "Out of memory",
  crashed: "The workspace crashed",
  deleted: "Removed outside Podspace",
  invalid: "Invalid template settings",
  internal: "Podspace could not reach the runtime",
  unavailable: "The workspace runtime is unavailable",
  "not-found": "Its home volume is missing",
};

export function failureReason(reason: string | null): string {
  return (reason && FAILURE_REASONS[reason]) || "Failed to start";
}

/** 0.5 → "0.5", 2 → "2". */

export function formatResources(resources: { cpu: number; memoryGiB: number; diskGiB: number }): string {
  return `${formatNumber(resources.cpu)} CPU · ${formatNumber(resources.memoryGiB)} GiB RAM · ${formatNumber(resources.diskGiB)} GiB disk`;
}

/** 2140 → "2.1 s", 95000 → "1 min 35 s". */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.max(0, Math.round(ms))} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const seconds = Math.round(ms / 1000);
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min ${seconds % 60} s`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `${hours} h ${minutes % 60} min`;
  return `${Math.floor(hours / 24)} days`;
}

/** How long it has been up, in whole units: "less than a minute", "12 min", "3 h 5 min", "2 days". */
export function formatUptime(ms: number): string {
  const minutes = Math.floor(ms / 60_000);
  if (minutes < 1) return "less than a minute";
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `${hours} h ${minutes % 60} min`;
  return `${Math.floor(hours / 24)} days`;
}

const relative = new Intl.RelativeTimeFormat("en", { numeric: "auto" });

/** "just now", "5 minutes ago", "yesterday". */
export function formatRelative(date: Date | string, now: number = Date.now()): string {
  const seconds = Math.round((new Date(date).getTime() - now) / 1000);
  const abs = Math.abs(seconds);
  if (abs < 45) return "just now";
  if (abs < 3600) return relative.format(Math.round(seconds / 60), "minute");
  if (abs < 86_400) return relative.format(Math.round(seconds / 3600), "hour");
  if (abs < 30 * 86_400) return relative.format(Math.round(seconds / 86_400), "day");
  return new Date(date).toLocaleDateString("en", { year: "numeric", month: "short", day: "numeric" });
}

/** "Jun 3, 02:15 PM UTC": with its time zone, since the server may render it in its own. */
export function formatDateTime(date: Date | string): string {
  return new Date(date).toLocaleString("en", { month: "short", day: "numeric", hour: "2-digit", minute: "2-digit", timeZoneName: "short" });
}

export function formatTime(date: Date | string): string {
  return new Date(date).toLocaleTimeString("en-GB", { hour: "2-digit", minute: "2-digit", second: "2-digit" });
}
