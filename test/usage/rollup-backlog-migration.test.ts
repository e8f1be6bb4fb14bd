import { describe, expect, it } from "vitest";
import type { SqlSession } from "@/lib/db/sql";
import { backends, upgradingTo, useFreshDatabase } from "../helpers/databases";

// The migration that moved the closed intervals' backlog into a table of its
// own (UsageRollupBacklog): an upgraded install keeps rolling up exactly what
// it had not yet, and an interval joins the backlog when it closes, whoever
// closes it.

const BACKLOG_MIGRATION = "20261211100000_usage_rollup_backlog";

const interval = (id: string, endedAt: string | null, rolledUpUntil: string, rolledUp: boolean) =>
  `('${id}', 'COMPUTE', 'w1', 'team', 'user', 'tpl', 1000, 1024, 0, '2026-03-01 10:00:00', ${endedAt === null ? "NULL" : `'${endedAt}'`}, '${rolledUpUntil}', ${rolledUp})`;

const backlog = (session: SqlSession) =>
  session.query<{ intervalId: string; endedAt: Date; rolledUpUntil: Date; cpuMillicores: number }>(
    `SELECT "intervalId", "endedAt", "rolledUpUntil", "cpuMillicores" FROM "UsageRollupBacklog" ORDER BY "intervalId"`,
  );

describe.each(backends)("the rollup backlog on %s", (backend) => {
  const database = useFreshDatabase(backend);

  it("holds an upgraded install's closed intervals not yet rolled up, from their watermarks, and every interval that closes after", async () => {
    await upgradingTo(database, BACKLOG_MIGRATION, async (session, upgrade) => {
      await session.exec(`INSERT INTO "Team" ("id", "slug", "name", "updatedAt") VALUES ('team', 'team', 'Team', now())`);
      await session.exec(`
        INSERT INTO "UsageInterval" ("id", "kind", "workspaceId", "teamId", "userId", "templateId", "cpuMillicores", "memoryMiB", "storageGiB", "startedAt", "endedAt", "rolledUpUntil", "rolledUp")
        VALUES ${[
          interval("open", null, "2026-03-01 11:00:00", false),
          interval("pending", "2026-03-01 12:00:00", "2026-03-01 11:00:00", false),
          interval("done", "2026-03-01 12:00:00", "2026-03-01 12:00:00", true),
        ].join(", ")}`);
      await upgrade();

      expect(await backlog(session)).toEqual([
        { intervalId: "pending", endedAt: new Date("2026-03-01T12:00:00Z"), rolledUpUntil: new Date("2026-03-01T11:00:00Z"), cpuMillicores: 1000 },
      ]);

      // Closed by the meter (an UPDATE of endedAt) or written closed: in the backlog, from its watermark.
      await session.exec(`UPDATE "UsageInterval" SET "endedAt" = '2026-03-01 13:00:00' WHERE "id" = 'open'`);
      await session.exec(`
        INSERT INTO "UsageInterval" ("id", "kind", "workspaceId", "teamId", "userId", "templateId", "cpuMillicores", "startedAt", "endedAt", "rolledUpUntil")
        VALUES ('written-closed', 'COMPUTE', 'w2', 'team', 'user', 'tpl', 2000, '2026-03-01 09:00:00', '2026-03-01 10:00:00', '2026-03-01 09:00:00')`);
      // Another change of a closed interval doesn't add it again.
      await session.exec(`UPDATE "UsageInterval" SET "endedAt" = '2026-03-01 14:00:00' WHERE "id" = 'open'`);
      expect(await backlog(session)).toEqual([
        { intervalId: "open", endedAt: new Date("2026-03-01T13:00:00Z"), rolledUpUntil: new Date("2026-03-01T11:00:00Z"), cpuMillicores: 1000 },
        { intervalId: "pending", endedAt: new Date("2026-03-01T12:00:00Z"), rolledUpUntil: new Date("2026-03-01T11:00:00Z"), cpuMillicores: 1000 },
        { intervalId: "written-closed", endedAt: new Date("2026-03-01T10:00:00Z"), rolledUpUntil: new Date("2026-03-01T09:00:00Z"), cpuMillicores: 2000 },
      ]);

      // A team's usage goes with it, its backlog too.
      await session.exec(`DELETE FROM "Team" WHERE "id" = 'team'`);
      expect(await backlog(session)).toEqual([]);
    });
  });
});
