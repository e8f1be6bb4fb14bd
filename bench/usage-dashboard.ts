// Usage dashboard benchmark: 1,000,000 usage intervals across 200 teams
// (2,000 users, 10,000 workspaces, 90 days) in a fresh PostgreSQL database,
// seeded with generate_series, rolled up once and vacuumed (as autovacuum
// would soon after), then the dashboard's queries timed as the pages run them.
//
// Reports p50/p95 of
//   team dashboard: usageReport for one team, last 30 days (random teams)
//   all-teams dashboard: the platform admins' page, last 30 days
//   incremental rollup pass: 1,000 new intervals rolled into 1M
// and, once, the initial rollup of all 1M intervals.
//
//   npm run bench -- usage-dashboard     (BENCH_USAGE_SAMPLES=200 to change N;
//   PODSPACE_TEST_POSTGRES_URL for another server)
import { createPrismaClient, installDbClients } from "@/lib/db/client";
import { prepareDatabase } from "@/lib/db/prepare";
import type { PrismaClient } from "@/lib/generated/prisma/client";
import { periodOf, usageQuerySchema } from "@/lib/usage/period";
import { rollUpUsage } from "@/lib/usage/rollup";
import { usageReport } from "@/lib/usage/report";
import { createTestDatabase } from "../test/helpers/postgres-setup";
import { summarize, type Summary } from "./stats";

const TEAMS = 200;
const USERS_PER_TEAM = 10;
const WORKSPACES_PER_USER = 5;
const INTERVALS = 1_000_000;
const DAYS = 90;

async function seed(db: PrismaClient, now: Date) {
  const workspaces = TEAMS * USERS_PER_TEAM * WORKSPACES_PER_USER;
  await db.$executeRawUnsafe(`
    INSERT INTO "Team" ("id", "slug", "name", "updatedAt") SELECT 't' || g, 'team-' || g, 'Team ' || g, now() FROM generate_series(0, ${TEAMS - 1}) g`);
  await db.$executeRawUnsafe(`
    INSERT INTO "User" ("id", "email", "name", "updatedAt") SELECT 'u' || g, 'user' || g || '@bench.test', 'User ' || g, now() FROM generate_series(0, ${TEAMS * USERS_PER_TEAM - 1}) g`);
  await db.$executeRawUnsafe(`
    INSERT INTO "Membership" ("id", "teamId", "userId", "updatedAt") SELECT 'm' || g, 't' || (g / ${USERS_PER_TEAM}), 'u' || g, now() FROM generate_series(0, ${TEAMS * USERS_PER_TEAM - 1}) g`);
  await db.$executeRawUnsafe(`
    INSERT INTO "Template" ("id", "slug", "name", "tags", "updatedAt") SELECT 'tp' || g, 'template-' || g, 'Template ' || g, '{}', now() FROM generate_series(0, 2) g`);
  await db.$executeRawUnsafe(`
    INSERT INTO "TemplateVersion" ("id", "templateId", "version", "spec") SELECT 'tv' || g, 'tp' || g, 1, '{}' FROM generate_series(0, 2) g`);
  // Workspace w: owner u(w / 5), team of that user, template w % 3.
  await db.$executeRawUnsafe(`
    INSERT INTO "Workspace" ("id", "name", "ownerId", "teamId", "templateVersionId", "parameters", "state", "desiredState", "updatedAt")
    SELECT 'w' || g, 'ws-' || g, 'u' || (g / ${WORKSPACES_PER_USER}), 't' || (g / ${WORKSPACES_PER_USER * USERS_PER_TEAM}), 'tv' || (g % 3),
           '{"cpu": 2, "memoryGiB": 4, "diskGiB": 10, "values": {}}', 'STOPPED', 'STOPPED', now()
      FROM generate_series(0, ${workspaces - 1}) g`);
  // One interval in ten is a volume's (days long), the rest are sessions of up to 8 hours, spread over 90 days.
  const start = new Date(now.getTime() - DAYS * 86_400_000).toISOString();
  await db.$executeRawUnsafe(`
    INSERT INTO "UsageInterval" ("id", "kind", "workspaceId", "teamId", "userId", "templateId", "cpuMillicores", "memoryMiB", "storageGiB", "startedAt", "endedAt", "rolledUpUntil")
    SELECT 'i' || g, k.kind, 'w' || w, 't' || (w / ${WORKSPACES_PER_USER * USERS_PER_TEAM}), 'u' || (w / ${WORKSPACES_PER_USER}), 'tp' || (w % 3),
           CASE WHEN k.kind = 'COMPUTE' THEN 2000 ELSE 0 END, CASE WHEN k.kind = 'COMPUTE' THEN 4096 ELSE 0 END, CASE WHEN k.kind = 'STORAGE' THEN 10 ELSE 0 END,
           s.at, s.at + k.length, s.at
      FROM generate_series(1, ${INTERVALS}) g,
           LATERAL (SELECT g % ${workspaces} AS w) ws,
           LATERAL (SELECT CASE WHEN g % 10 = 0 THEN 'STORAGE'::"UsageKind" ELSE 'COMPUTE'::"UsageKind" END AS kind,
                           CASE WHEN g % 10 = 0 THEN interval '1 second' * (86400 + (g::bigint * 7919) % (5 * 86400))
                                ELSE interval '1 second' * (600 + (g::bigint * 104729) % 28800) END AS length) k,
           LATERAL (SELECT date_trunc('second', '${start}'::timestamptz AT TIME ZONE 'UTC' + interval '1 second' * ((g::bigint * 2654435761) % ${(DAYS - 6) * 86_400})) AS at) s`);
  await db.$executeRawUnsafe(`ANALYZE`);
}

async function time<T>(work: () => Promise<T>): Promise<[number, T]> {
  const startedAt = performance.now();
  const result = await work();
  return [performance.now() - startedAt, result];
}

export async function benchUsageDashboard(samples = Number(process.env.BENCH_USAGE_SAMPLES ?? 100)): Promise<Record<string, Summary>> {
  const database = await createTestDatabase(process.env.PODSPACE_TEST_POSTGRES_URL ?? "postgresql://postgres@127.0.0.1:5432/postgres");
  const target = { kind: "postgres" as const, url: database.url };
  await prepareDatabase(target);
  const db = createPrismaClient(target);
  // lib/usage reads getDb() (the pages) and getBackgroundDb() (the rollup loop): both this database.
  const uninstallClients = installDbClients({ pages: db, background: db });
  try {
    const now = new Date();
    const [seedMs] = await time(() => seed(db, now));
    const [rollupMs, rolled] = await time(() => rollUpUsage(db, now));
    const rollupRows = await db.usageDailyRollup.count();
    console.log(`seeded ${INTERVALS} intervals in ${(seedMs / 1000).toFixed(1)} s; initial rollup of ${rolled} intervals into ${rollupRows} daily rows: ${(rollupMs / 1000).toFixed(1)} s`);
    // What autovacuum does on a running install soon after such a rollup (the
    // days before today are never written again): statistics for the planner,
    // and the visibility map that lets the dashboards' index-only scans skip
    // the rows. Timed apart from the rollup.
    const [vacuumMs] = await time(() => db.$executeRawUnsafe(`VACUUM (ANALYZE)`));
    console.log(`VACUUM (ANALYZE) after the initial rollup: ${(vacuumMs / 1000).toFixed(1)} s`);

    const period = periodOf(usageQuerySchema.parse({ period: "30d" }), now);
    const team = (i: number) => `t${(i * 37) % TEAMS}`;
    // Warm the connection pool and plans once, as a running server would be.
    await usageReport(team(0), period, "user");
    const teamTimes: number[] = [];
    const templateTimes: number[] = [];
    for (let i = 0; i < samples; i++) {
      teamTimes.push((await time(() => usageReport(team(i), period, "user")))[0]);
      templateTimes.push((await time(() => usageReport(team(i + 1), period, "template")))[0]);
    }
    const allTimes: number[] = [];
    for (let i = 0; i < Math.max(5, Math.round(samples / 5)); i++) allTimes.push((await time(() => usageReport(null, period, i % 2 ? "team" : "template")))[0]);

    const incrementalTimes: number[] = [];
    for (let round = 0; round < 5; round++) {
      const at = new Date(now.getTime() + (round + 1) * 60_000);
      await db.$executeRawUnsafe(`
        INSERT INTO "UsageInterval" ("id", "kind", "workspaceId", "teamId", "userId", "templateId", "cpuMillicores", "memoryMiB", "startedAt", "endedAt", "rolledUpUntil")
        SELECT 'n${round}-' || g, 'COMPUTE', 'w' || g, 't' || (g / 50), 'u' || (g / 5), 'tp' || (g % 3), 1000, 1024,
               date_trunc('second', now() AT TIME ZONE 'UTC') - interval '3 hours', date_trunc('second', now() AT TIME ZONE 'UTC') - interval '1 hour',
               date_trunc('second', now() AT TIME ZONE 'UTC') - interval '3 hours'
          FROM generate_series(0, 999) g`);
      incrementalTimes.push((await time(() => rollUpUsage(db, at)))[0]);
    }

    return {
      [`team dashboard, 30 days, by user (n=${samples})`]: summarize(teamTimes),
      [`team dashboard, 30 days, by template (n=${samples})`]: summarize(templateTimes),
      [`all-teams dashboard, 30 days (n=${allTimes.length})`]: summarize(allTimes),
      [`incremental rollup pass, +1,000 intervals (n=5)`]: summarize(incrementalTimes),
      [`initial rollup of 1,000,000 intervals (n=1)`]: summarize([rollupMs]),
    };
  } finally {
    await uninstallClients();
    await database.drop();
  }
}
