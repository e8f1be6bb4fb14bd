import { describe, expect, it } from "vitest";
import { getDb } from "@/lib/db/client";
import { teamQuotaRows } from "@/lib/quotas/limits";
import { setTeamQuota } from "@/lib/quotas/set-quota";
import { quotaFormSchema } from "@/lib/schemas/quotas";
import { useAppDatabase } from "../helpers/app-database";
import { actorFor, auditLogFor, createTeamWith, createUser } from "../helpers/identity";

// Saving quotas the way the settings page's forms do: parsed by the form
// schema, authorized, bounded by the ceiling, audited before → after.

useAppDatabase();

const form = (fields: Record<string, string>) => quotaFormSchema.parse(fields);

describe("setting a team's quota", () => {
  it("lets owners and admins set limits within the platform's ceilings, and only platform admins set ceilings", async () => {
    const platform = await actorFor(await createUser("root@quota.test", { isPlatformAdmin: true }));
    const [owner, admin, member] = await Promise.all(["owner", "admin", "member"].map((name) => createUser(`${name}@quota.test`)));
    const team = await createTeamWith("ml", [
      [owner!, "OWNER"],
      [admin!, "ADMIN"],
      [member!, "MEMBER"],
    ]);

    await setTeamQuota(platform, form({ teamId: team.id, scope: "CEILING", cpuCores: "16", monthlyCpuCoreHours: "1000", stopAtBudget: "on" }));
    const limit = { teamId: team.id, scope: "LIMIT" };
    await expect(setTeamQuota(await actorFor(admin!), form({ ...limit, cpuCores: "24" }))).rejects.toMatchObject({
      code: "invalid",
      field: "cpuCores",
      message: "The platform allows at most 16 CPU cores.",
    });
    await expect(setTeamQuota(await actorFor(member!), form({ ...limit, cpuCores: "8" }))).rejects.toMatchObject({ code: "forbidden" });
    await expect(setTeamQuota(await actorFor(owner!), form({ teamId: team.id, scope: "CEILING", cpuCores: "64" }))).rejects.toMatchObject({ code: "forbidden" });

    const saved = await setTeamQuota(await actorFor(admin!), form({ ...limit, cpuCores: "8", memoryGiB: "0.5", maxRunningPerMember: "2", backupGiB: "50", stopAtBudget: "on" }));
    expect(saved.changed).toBe(true);
    const rows = await teamQuotaRows(team.id);
    expect(rows.limit.backupGiB).toBe(50);
    // An admin can't switch stop-at-budget on or off: only the ceiling's counts.
    expect(rows.limit).toMatchObject({ cpuMillicores: 8000, memoryMiB: 512, maxRunningPerMember: 2, monthlyCpuCoreHours: null, stopAtBudget: false });
    expect(rows.effective).toMatchObject({ cpuMillicores: 8000, memoryMiB: 512, monthlyCpuCoreHours: 1000, stopAtBudget: true });

    // Saving the same values again changes nothing and audits nothing.
    expect((await setTeamQuota(await actorFor(admin!), form({ ...limit, cpuCores: "8", memoryGiB: "0.5", maxRunningPerMember: "2", backupGiB: "50" }))).changed).toBe(false);
    const entries = await auditLogFor(team.id);
    expect(entries.map((entry) => [entry.action, entry.actorId])).toEqual([
      ["quota.ceilings-changed", platform.id],
      ["quota.limits-changed", admin!.id],
    ]);
    expect(entries[1]).toMatchObject({
      teamId: team.id,
      targetType: "team",
      before: expect.objectContaining({ cpuMillicores: null, memoryMiB: null }),
      after: expect.objectContaining({ cpuMillicores: 8000, memoryMiB: 512, maxRunningPerMember: 2 }),
    });
    expect(await getDb().teamQuota.count({ where: { teamId: team.id } })).toBe(2);
  });

  it("reads empty fields as no limit and refuses what isn't a sensible number", () => {
    expect(form({ teamId: "t", scope: "LIMIT" }).values).toMatchObject({ cpuMillicores: null, maxWorkspaces: null, stopAtBudget: false });
    const result = quotaFormSchema.safeParse({ teamId: "t", scope: "LIMIT", maxWorkspaces: "2.5", cpuCores: "-1", storageGiB: "lots", maxIdleTimeoutMinutes: "0" });
    expect(result.success).toBe(false);
    const messages = Object.fromEntries(result.error!.issues.map((issue) => [issue.path[0], issue.message]));
    expect(messages).toEqual({
      maxWorkspaces: "Enter a whole number of workspaces.",
      cpuCores: "Enter 0 or more CPU cores.",
      storageGiB: "Enter a number of GiB of storage, or leave it empty for no limit.",
      maxIdleTimeoutMinutes: "Enter 1 or more minutes.",
    });
  });
});
