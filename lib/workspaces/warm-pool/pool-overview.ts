import { can, type Actor } from "@/lib/authz";
import { getDb } from "@/lib/db/client";
import { defaultParameters, type WorkspaceParameters } from "@/lib/templates/parameters";
import { templateSpec } from "@/lib/templates/spec";
import { teamDenied } from "@/lib/teams/access";

// What the team's settings page shows of its warm pools: for every template
// in the catalog, the pool's size, its members by state, what it holds all
// the time (its cost), and why the last refill stopped short if it did.

export interface WarmPoolView {
  templateId: string;
  templateName: string;
  /** The version members are made from: the template's latest. */
  version: number;
  /** What each member holds: the template's defaults. */
  resources: Pick<WorkspaceParameters, "cpu" | "memoryGiB" | "diskGiB">;
  size: number;
  running: number;
  /** Members on their way to running (or being replaced). */
  starting: number;
  refillBlockedReason: string | null;
  /** What the pool costs the team's monthly CPU budget at its size: its members run all the time. */
  coreHoursPerMonth: number;
}

const HOURS_PER_MONTH = 730;


export async function listWarmPools(actor: Actor, teamId: string): Promise<WarmPoolView[]> {
  if (!can(actor, "team:view", { teamId })) throw teamDenied(actor, teamId, "Team not found.");
  const db = getDb();
  const [templates, pools, members] = await Promise.all([
    db.template.findMany({
      where: { archivedAt: null },
      orderBy: { name: "asc" },
      select: { id: true, name: true, versions: { orderBy: { version: "desc" }, take: 1, select: { version: true, spec: true } } },
    }),
    db.warmPool.findMany({ where: { teamId } }),
    db.workspace.groupBy({
      by: ["warmPoolId", "state"],
      where: { teamId, warmPoolId: { not: null }, desiredState: "RUNNING" },
      _count: true,
    }),
  ]);
  return templates.flatMap((template) => {
    const latest = template.versions[0];
    if (!latest) return [];
    const { cpu, memoryGiB, diskGiB } = defaultParameters(templateSpec.parse(latest.spec));
    const pool = pools.find((candidate) => candidate.templateId === template.id);
    const count = (running: boolean) =>
      members
        .filter((group) => group.warmPoolId === pool?.id && (group.state === "RUNNING") === running)
        .reduce((sum, group) => sum + group._count, 0);
    return [
      {
        templateId: template.id,
        templateName: template.name,
        version: latest.version,
        resources: { cpu, memoryGiB, diskGiB },
        size: pool?.size ?? 0,
        running: pool ? count(true) : 0,
        starting: pool ? count(false) : 0,
        refillBlockedReason: pool?.refillBlockedReason ?? null,
        coreHoursPerMonth: (pool?.size ?? 0) * cpu * HOURS_PER_MONTH,
      },
    ];
  });
}
