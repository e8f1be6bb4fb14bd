import { AppError } from "@/lib/errors";
import { formatNumber } from "@/lib/format";
import type { Prisma } from "@/lib/generated/prisma/client";
import { metrics } from "@/lib/observability/metrics";
import { budgetRange, toCoreHours } from "./budget";
import { combineQuotas, quotaValues, type QuotaValues } from "./limits";
import { resourceLimits, roundUsage, toTeamUsage, type TeamUsage, type UsageRow } from "./usage";

// Quota decisions that concurrent requests cannot race, and that cost a fixed
// number of statements however many requests they decide (a start's batch,
// lib/workspaces/start-batch.ts, decides a whole burst with one ledger).
//
// The team's row is locked for the rest of the transaction, so two decisions
// in one team, in this process or another replica, are made one after the
// other, each seeing what the other committed: the row lock is the arbiter.
// The database's Team_lock_quota_state (prisma/migrations/
// 20261212100000_quota_state_functions) takes the lock in a statement of its
// own and reads everything else in the next: in READ COMMITTED a statement
// reads the snapshot taken when it began, so a statement that waited for the
// lock would still sum usage from before the holder committed. Within a
// transaction the ledger itself then counts what each admitted request adds,
// so the next one in the same batch sees it.
//
// A warm pool claim adds nothing to the team's totals, so it takes no team
// lock and claims run side by side; per-member limits lock the member's own
// row, which serializes one member's creates and claims.

export interface QuotaRequest {
  /** The request creates a workspace (as opposed to starting an existing one). */
  creates: boolean;
  /** The workspace will run, so its CPU and memory count. */
  runs: boolean;
  cpu: number;
  memoryGiB: number;
  /** Disk that isn't counted yet: a new workspace's, or the growth of an existing one. */
  addedDiskGiB: number;
  /**
   * A warm pool member changing hands: the team counts it already (as its
   * pool's), so only its new owner's own counts grow and the budget applies.
   */
  teamCountsIt?: boolean;
}

export interface QuotaDecision {
  team: { id: string; slug: string };
  /** Null: a warm pool's workspace, which is no member's, so only the team's limits apply. */
  ownerId: string | null;
  request: QuotaRequest;
}

interface TeamState {
  quota: QuotaValues;
  usage: TeamUsage;
  coreHoursUsed: number;
}

interface MemberCounts {
  workspaces: number;
  running: number;
}

const memberKey = (teamId: string, ownerId: string) => `${teamId}\u0000${ownerId}`;

/**
 * The quota state of the teams (and members) of `decisions`, read under their
 * locks in `tx`: `admit` then decides each request in turn. One statement
 * (the database's Team_lock_quota_state) however many decisions there are.
 */
export async function openQuotaLedger(tx: Prisma.TransactionClient, decisions: readonly QuotaDecision[], now: Date = new Date()): Promise<QuotaLedger> {
  // A claim adds nothing to its team's totals: it takes no team lock.
  const toLock = [...new Set(decisions.filter((decision) => !decision.request.teamCountsIt).map((decision) => decision.team.id))];
  const teamIds = [...new Set(decisions.map((decision) => decision.team.id))];
  const members = uniqueMembers(decisions);
  const { from, until } = budgetRange(now);
  const [row] = await tx.$queryRaw<Array<{ state: QuotaState }>>`
    SELECT "Team_lock_quota_state"(
      ${toLock}::text[], ${teamIds}::text[],
      ${members.map((member) => member.teamId)}::text[], ${members.map((member) => member.ownerId)}::text[],
      ${from}::timestamp, ${until}::timestamp) AS state`;
  return quotaLedger(row!.state, members);
}

/** What Team_lock_quota_state returns: each team's quota rows, usage and month-to-date core-hours, and the counts of members under a per-member limit. */
export interface QuotaState {
  teams: TeamRow[];
  members: MemberRow[];
}

/** The ledger of `state`, read for `members` (the decisions' owners). */
export function quotaLedger(state: QuotaState, members: ReadonlyArray<{ teamId: string; ownerId: string }>): QuotaLedger {
  const teams = new Map<string, TeamState>();
  for (const team of state.teams) {
    const quotas = team.quotas ?? [];
    const effective = combineQuotas(quotaValues(quotas.find((q) => q.scope === "LIMIT")), quotaValues(quotas.find((q) => q.scope === "CEILING")));
    teams.set(team.id, { quota: effective, usage: toTeamUsage(team.usage), coreHoursUsed: toCoreHours(team.coreHours) });
  }
  // Members under a per-member limit; the database counted those with a workspace in the team.
  const counts = new Map<string, MemberCounts>();
  for (const member of members) {
    const quota = teams.get(member.teamId)?.quota;
    if (quota && (quota.maxWorkspacesPerMember !== null || quota.maxRunningPerMember !== null)) counts.set(memberKey(member.teamId, member.ownerId), { workspaces: 0, running: 0 });
  }
  for (const member of state.members) counts.set(memberKey(member.teamId, member.ownerId), { workspaces: Number(member.workspaces), running: Number(member.running) });
  return new QuotaLedger(teams, counts);
}

/** Each request's decision, against the state read and what the requests admitted before it added. */
export class QuotaLedger {
  constructor(
    private readonly teams: Map<string, TeamState>,
    /** Only members under a per-member limit. */
    private readonly members: Map<string, MemberCounts>,
  ) {}

  /**
   * Throws a "quota" AppError naming the limit and the numbers when the
   * request doesn't fit; otherwise counts what it adds for the requests
   * decided after it.
   */
  admit({ team, ownerId, request }: QuotaDecision): void {
    const state = this.teams.get(team.id);
    if (!state) throw new Error(`The quota ledger didn't read team ${team.id}.`);
    const { quota, usage } = state;
    const checks: Array<[limit: number | null, wouldUse: number, what: string]> = [];
    const adds = {
      workspaces: request.creates ? 1 : 0,
      runningWorkspaces: request.runs ? 1 : 0,
      cpuCores: request.runs ? request.cpu : 0,
      memoryGiB: request.runs ? request.memoryGiB : 0,
      storageGiB: request.addedDiskGiB,
    };
    if (!request.teamCountsIt) {
      const limits = resourceLimits(quota);
      checks.push(
        [limits.workspaces, usage.workspaces + adds.workspaces, "workspaces"],
        [limits.runningWorkspaces, usage.runningWorkspaces + adds.runningWorkspaces, "running workspaces"],
        [limits.cpuCores, usage.cpuCores + adds.cpuCores, "CPU cores"],
        [limits.memoryGiB, usage.memoryGiB + adds.memoryGiB, "GiB of memory"],
        [limits.storageGiB, usage.storageGiB + adds.storageGiB, "GiB of storage"],
      );
    }
    const mine = ownerId === null ? undefined : this.members.get(memberKey(team.id, ownerId));
    if (mine) {
      checks.push(
        [quota.maxWorkspacesPerMember, mine.workspaces + adds.workspaces, "workspaces per member"],
        [quota.maxRunningPerMember, mine.running + adds.runningWorkspaces, "running workspaces per member"],
      );
    }
    for (const [limit, wouldUse, what] of checks) {
      if (limit !== null && wouldUse > limit + 1e-9) {
        metrics.quotaRejections.inc({ limit: what });
        // A member's own limit is theirs, not the team's to use up.
        const message = what.endsWith(" per member")
          ? `Team ${team.slug} limits ${what} to ${formatNumber(limit)}; this member would have ${formatNumber(wouldUse)}.`
          : `Team ${team.slug} would use ${formatNumber(wouldUse)} of ${formatNumber(limit)} ${what}.`;
        throw new AppError("quota", message);
      }
    }
    // At 100 % of the monthly budget nothing new starts; what runs keeps running (see lib/quotas/budget.ts).
    if (request.runs && quota.monthlyCpuCoreHours !== null && state.coreHoursUsed >= quota.monthlyCpuCoreHours) {
      metrics.quotaRejections.inc({ limit: "monthly CPU core-hours" });
      throw new AppError(
        "quota",
        `Team ${team.slug} has used ${formatNumber(state.coreHoursUsed)} of its ${formatNumber(quota.monthlyCpuCoreHours)} CPU core-hours this month; new starts wait for next month or a higher budget.`,
      );
    }
    // Admitted: what it adds counts for the next request. A claimed pool member is in the team's totals already.
    if (!request.teamCountsIt) {
      for (const key of Object.keys(adds) as Array<keyof TeamUsage>) usage[key] = roundUsage(usage[key] + adds[key]);
    }
    if (mine) {
      mine.workspaces += adds.workspaces;
      mine.running += adds.runningWorkspaces;
    }
  }
}

interface TeamRow {
  id: string;
  quotas: Array<Parameters<typeof quotaValues>[0] & { scope: string }> | null;
  usage: UsageRow | null;
  coreHours: number | null;
}

interface MemberRow {
  teamId: string;
  ownerId: string;
  workspaces: number;
  running: number;
}

export function uniqueMembers(decisions: readonly QuotaDecision[]): Array<{ teamId: string; ownerId: string }> {
  const members = new Map<string, { teamId: string; ownerId: string }>();
  for (const { team, ownerId } of decisions) if (ownerId !== null) members.set(memberKey(team.id, ownerId), { teamId: team.id, ownerId });
  return [...members.values()];
}
