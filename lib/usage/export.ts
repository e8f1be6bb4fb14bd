import { getDb } from "@/lib/db/client";
import type { Period } from "./period";
import { amounts } from "./report";

// CSV of the daily rollups for a period: one row per workspace and day,
// streamed page by page so a year of every team doesn't sit in memory.

const HEADER = ["day", "team", "user", "template", "workspace", "cpu_core_hours", "memory_gib_hours", "storage_gib_days", "workspace_hours", "sessions_ended"];
const PAGE = 2_000;

/** Quotes a field when it needs it, and defuses spreadsheet formulas (=, +, -, @ at the start). */
export function csvField(value: string | number): string {
  if (typeof value === "number") return String(Math.round(value * 10_000) / 10_000);
  const safe = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\n\r]/.test(safe) ? `"${safe.replaceAll('"', '""')}"` : safe;
}

export function usageCsv(teamId: string | null, period: Period): ReadableStream<Uint8Array> {
  const db = getDb();
  const encoder = new TextEncoder();
  const names = { users: new Map<string, string>(), templates: new Map<string, string>(), teams: new Map<string, string>(), workspaces: new Map<string, string>() };
  let cursor: { workspaceId: string; day: Date } | undefined;
  let done = false;

  async function fill(ids: { users: string[]; templates: string[]; teams: string[]; workspaces: string[] }) {
    const missing = (map: Map<string, string>, list: string[]) => [...new Set(list)].filter((id) => !map.has(id));
    const [users, templates, teams, workspaces] = await Promise.all([
      db.user.findMany({ where: { id: { in: missing(names.users, ids.users) } }, select: { id: true, email: true } }),
      db.template.findMany({ where: { id: { in: missing(names.templates, ids.templates) } }, select: { id: true, slug: true } }),
      db.team.findMany({ where: { id: { in: missing(names.teams, ids.teams) } }, select: { id: true, slug: true } }),
      db.workspace.findMany({ where: { id: { in: missing(names.workspaces, ids.workspaces) } }, select: { id: true, name: true } }),
    ]);
    users.forEach((u) => names.users.set(u.id, u.email));
    templates.forEach((t) => names.templates.set(t.id, t.slug));
    teams.forEach((t) => names.teams.set(t.id, t.slug));
    workspaces.forEach((w) => names.workspaces.set(w.id, w.name.replace(/~[^~]*$/, "")));
  }

  return new ReadableStream({
    start(controller) {
      controller.enqueue(encoder.encode(`${HEADER.join(",")}\n`));
    },
    async pull(controller) {
      if (done) return;
      const rows = await db.usageDailyRollup.findMany({
        where: { day: { gte: period.from, lt: period.until }, ...(teamId ? { teamId } : {}) },
        orderBy: [{ day: "asc" }, { workspaceId: "asc" }],
        take: PAGE,
        ...(cursor ? { cursor: { workspaceId_day: cursor }, skip: 1 } : {}),
      });
      await fill({
        users: rows.map((r) => r.userId),
        templates: rows.map((r) => r.templateId),
        teams: rows.map((r) => r.teamId),
        workspaces: rows.map((r) => r.workspaceId),
      });
      const lines = rows.map((row) => {
        const amount = amounts(row);
        return [
          row.day.toISOString().slice(0, 10),
          names.teams.get(row.teamId) ?? row.teamId,
          names.users.get(row.userId) ?? row.userId,
          names.templates.get(row.templateId) ?? row.templateId,
          names.workspaces.get(row.workspaceId) ?? row.workspaceId,
          amount.cpuCoreHours,
          amount.memoryGiBHours,
          amount.storageGiBDays,
          amount.workspaceHours,
          row.computeSessions,
        ]
          .map(csvField)
          .join(",");
      });
      if (lines.length > 0) controller.enqueue(encoder.encode(`${lines.join("\n")}\n`));
      const last = rows.at(-1);
      cursor = last && { workspaceId: last.workspaceId, day: last.day };
      if (rows.length < PAGE) {
        done = true;
        controller.close();
      }
    },
  });
}
