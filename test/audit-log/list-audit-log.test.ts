import { describe, expect, it } from "vitest";
import { AUDIT_ACTIONS, auditEntriesJson, recordAudit } from "@/lib/audit";
import { auditChanges, listAuditLog } from "@/lib/audit-log/list-audit-log";
import { getDb } from "@/lib/db/client";
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

describe("entries written with a batch's changes", () => {
  it("are recordAudit's entries, at the batch's time in UTC whatever the session's time zone", async () => {
    const admin = await actorFor(await createUser("batch@audit.test", { isPlatformAdmin: true }));
    const at = new Date("2026-03-01T10:00:00.000Z");
    await getDb().$transaction(async (tx) => {
      await tx.$executeRaw`SET LOCAL timezone = 'Pacific/Kiritimati'`;
      const entries = auditEntriesJson([{ action: "template.created", actorId: admin.id, targetType: "template", targetId: "batched", after: { name: "B" } }], at);
      await tx.$executeRaw`SELECT "AuditLog_record"(${entries}::jsonb)`;
    });
    const entry = await getDb().auditLog.findFirstOrThrow({ where: { targetId: "batched" } });
    expect(entry).toMatchObject({ action: "template.created", actorId: admin.id, teamId: null, before: null, after: { name: "B" }, via: null, createdAt: at });
    const listed = await listAuditLog(admin, auditFilterSchema.parse({ action: "template.created" }));
    expect(listed.items.map((item) => item.id)).toContain(entry.id);
  });
});

describe("what an entry shows", () => {
  it("names its target (a user's email, a team's slug) next to the id, and keeps the id alone for a target that is gone", async () => {
    const admin = await actorFor(await createUser("root@names.test", { isPlatformAdmin: true }));
    const target = await createUser("dana@names.test");
    const team = await createTeamWith("named");
    await recordAudit({ action: "user.deactivated", actorId: admin.id, targetType: "user", targetId: target.id, before: { deactivated: false }, after: { deactivated: true } });
    await recordAudit({ action: "team.archived", actorId: admin.id, targetType: "team", targetId: team.id, teamId: team.id });
    await recordAudit({ action: "membership.removed", actorId: admin.id, targetType: "membership", targetId: "gone" });

    const { items } = await listAuditLog(admin, auditFilterSchema.parse({ actor: "root@names.test" }));
    expect(items.map((entry) => [entry.action, entry.targetLabel])).toEqual([
      ["membership.removed", null],
      ["team.archived", "named"],
      ["user.deactivated", "dana@names.test"],
    ]);
  });

  it("lists the fields inside an object that changed, not the whole object before and after", () => {
    const spec = { name: "Rust", description: "Rust toolchain", resources: { cpu: { default: 2, options: [1, 2, 4] } } };
    const changed = { ...spec, description: "Rust toolchain, v2", resources: { cpu: { default: 4, options: [1, 2, 4] } } };
    expect(auditChanges({ version: 1, spec }, { version: 2, spec: changed, changelog: "more CPU" })).toEqual([
      { field: "version", before: "1", after: "2" },
      { field: "spec.description", before: "Rust toolchain", after: "Rust toolchain, v2" },
      { field: "spec.resources.cpu.default", before: "2", after: "4" },
      { field: "changelog", before: "", after: "more CPU" },
    ]);
    // One side only: its fields as they are.
    expect(auditChanges(null, { version: 1, spec: { name: "Rust" } })).toEqual([
      { field: "version", before: "", after: "1" },
      { field: "spec", before: "", after: '{"name":"Rust"}' },
    ]);
  });
});
