import { describe, expect, it } from "vitest";
import { AUDIT_ACTIONS, recordAudit } from "@/lib/audit";
import { listAuditLog } from "@/lib/audit-log/list-audit-log";
import { auditFilterSchema } from "@/lib/schemas/audit";
import { useAppDatabase } from "../helpers/app-database";
import { actorFor, createTeamWith, createUser } from "../helpers/identity";

// The audit log as the audit page reads it, on the app's real database.

useAppDatabase();

describe("reading the audit log", () => {
  it("offers every known action to platform admins and the teams' actions to team owners, who see only their teams' entries", async () => {
    const admin = await actorFor(await createUser("root@audit.test", { isPlatformAdmin: true }));
    const ownerUser = await createUser("owner@audit.test");
    const team = await createTeamWith("audited", [[ownerUser, "OWNER"]]);
    const other = await createTeamWith("elsewhere");
    const ownerActor = await actorFor(ownerUser);
    await recordAudit({ action: "quota.limits-changed", actorId: admin.id, targetType: "team", targetId: team.id, teamId: team.id, after: { cpuMillicores: 1000 } });
    await recordAudit({ action: "quota.limits-changed", actorId: admin.id, targetType: "team", targetId: other.id, teamId: other.id });
    await recordAudit({ action: "template.created", actorId: admin.id, targetType: "template", targetId: "tpl" });

    const all = await listAuditLog(admin, auditFilterSchema.parse({}));
    expect(all.actions).toEqual([...AUDIT_ACTIONS].sort());
    expect(all.items.map((entry) => entry.action)).toEqual(expect.arrayContaining(["quota.limits-changed", "template.created"]));

    const mine = await listAuditLog(ownerActor, auditFilterSchema.parse({}));
    expect(mine.actions).toContain("quota.limits-changed");
    expect(mine.actions).not.toContain("template.created");
    expect(mine.actions).not.toContain("auth.sign-in");
    expect(mine.items.map((entry) => [entry.action, entry.team?.slug])).toEqual([["quota.limits-changed", "audited"]]);

    const filtered = await listAuditLog(admin, auditFilterSchema.parse({ action: "template.created" }));
    expect(filtered.items.map((entry) => entry.targetId)).toEqual(["tpl"]);
  });
});
