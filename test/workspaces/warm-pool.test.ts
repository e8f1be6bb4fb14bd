import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CurrentUser } from "@/lib/auth/current-user";
import { getDb } from "@/lib/db/client";
import { teamUsage } from "@/lib/quotas/usage";
import { createLocalRuntime } from "@/lib/runtime/local/local-runtime";
import { installRuntime } from "@/lib/runtime/runtime";
import type { WorkspaceRuntime } from "@/lib/runtime/types";
import { createWorkspace } from "@/lib/workspaces/create-workspace";
import { listWorkspacesFor } from "@/lib/workspaces/list-workspaces";
import { operateWorkspace } from "@/lib/workspaces/operate-workspace";
import { createReconciler, type Reconciler } from "@/lib/workspaces/reconciler";
import { runtimeSpecInclude, toRuntimeSpec } from "@/lib/workspaces/runtime-spec";
import { createWarmPoolLoop, type WarmPoolLoop } from "@/lib/workspaces/warm-pool/refill-loop";
import { setWarmPoolSize } from "@/lib/workspaces/warm-pool/set-pool-size";
import { endLocalWorkspaces } from "../helpers/local-workspaces";
import { actorFor, createTeamWith, createUser } from "../helpers/identity";
import { usePostgresAppDatabase } from "../helpers/postgres-app-database";
import { TEST_TEMPLATE } from "../helpers/test-template";
import { execCollecting, TEST_SHARED_PATHS } from "../runtime/contract";

// Warm pools against PostgreSQL (claims race on row locks, which PGlite's one
// connection can't show) and the real local runtime. The reconciler is not
// registered and makes no periodic pass, so nothing starts unless a test
// asks: pool members are started by reconciling them, and cold creates stay
// PENDING where they don't matter.

usePostgresAppDatabase();

describe("warm pools", { timeout: 120_000 }, () => {
  let dataDir: string;
  let runtime: WorkspaceRuntime;
  let reconciler: Reconciler;
  let loop: WarmPoolLoop;
  let templateId: string;

  beforeAll(async () => {
    dataDir = await fs.mkdtemp(path.join(os.tmpdir(), "podspace-warm-pool-"));
    runtime = createLocalRuntime({ dataDir, cacheDir: path.join(dataDir, "cache"), sharedPaths: TEST_SHARED_PATHS });
    // A claim hands the workspace over through this process's runtime.
    installRuntime(runtime);
    reconciler = createReconciler(runtime, { intervalMs: 3_600_000 });
    reconciler.start();
    loop = createWarmPoolLoop({ refillConcurrency: 10 });
    const template = await getDb().template.create({
      data: { slug: "test", name: "Test", versions: { create: { version: 1, spec: TEST_TEMPLATE as object } } },
    });
    templateId = template.id;
  });
  afterAll(async () => {
    await reconciler?.stop();
    installRuntime(undefined);
    await runtime?.close();
    await endLocalWorkspaces(dataDir);
    await fs.rm(dataDir, { recursive: true, force: true });
  });

  async function teamWithOwner(slug: string, quota: Record<string, number> = {}) {
    const owner = await createUser(`owner@${slug}.test`, { name: `Owner of ${slug}` });
    const team = await createTeamWith(slug, [[owner, "OWNER"]]);
    if (Object.keys(quota).length > 0) await getDb().teamQuota.create({ data: { teamId: team.id, scope: "LIMIT", ...quota } });
    return { team, owner: await actorFor(owner) };
  }

  async function memberOf(team: { id: string }, email: string): Promise<CurrentUser> {
    const user = await createUser(email, { name: email.split("@")[0] });
    await getDb().membership.create({ data: { teamId: team.id, userId: user.id, role: "MEMBER" } });
    return actorFor(user);
  }

  const membersOf = (teamId: string) =>
    getDb().workspace.findMany({ where: { teamId, warmPoolId: { not: null }, desiredState: "RUNNING" }, orderBy: { createdAt: "asc" } });

  /**
   * Refill passes, each followed by starting the new members, until the pool
   * holds `size` running ones. A member that fails to start (the local
   * sandbox can, on a loaded host) is replaced by the next pass.
   */
  async function fill(teamId: string, size: number) {
    const running = async () => {
      await loop.runOnce();
      const members = await membersOf(teamId);
      for (const member of members.filter((member) => member.state === "PENDING")) await reconciler.reconcile(member.id);
      return members.filter((member) => member.state === "RUNNING").length;
    };
    await expect.poll(running, { timeout: 60_000, interval: 200 }).toBe(size);
  }

  const create = (actor: CurrentUser, teamId: string, name: string, parameters: Record<string, unknown> = {}) =>
    createWorkspace(actor, { name, teamId, templateSlug: "test", gitRepository: undefined, parameters });

  const specOf = async (id: string) => toRuntimeSpec(await getDb().workspace.findUniqueOrThrow({ where: { id }, include: runtimeSpecInclude }));
  const shell = async (id: string, script: string) => execCollecting(runtime, await specOf(id), { command: ["/bin/sh", "-c", script] });
  const poolEvents = (id: string) => getDb().workspaceEvent.findMany({ where: { workspaceId: id, step: "pool" }, orderBy: { createdAt: "asc" } });

  it("keeps running members owned by the team's pool account, counted against the team and listed for nobody", async () => {
    const { team, owner } = await teamWithOwner("keep");
    await setWarmPoolSize(owner, { teamId: team.id, templateId, size: 2 });
    await fill(team.id, 2);

    const pool = await getDb().warmPool.findUniqueOrThrow({ where: { teamId_templateId: { teamId: team.id, templateId } }, include: { owner: true } });
    expect(pool.owner).toMatchObject({ isServiceAccount: true });
    expect(await getDb().membership.count({ where: { userId: pool.ownerId } })).toBe(0);
    const members = await membersOf(team.id);
    expect(members.every((member) => member.ownerId === pool.ownerId)).toBe(true);
    // Nothing of a user is in a member's spec: it is the pool's.
    const spec = await specOf(members[0]!.id);
    expect(spec.ownerId).toBe(pool.ownerId);
    expect(JSON.stringify(spec)).not.toContain(owner.id);

    expect(await teamUsage(team.id)).toMatchObject({ workspaces: 2, runningWorkspaces: 2, cpuCores: 2 });
    expect((await listWorkspacesFor(owner, { teamId: team.id, scope: "team" })).items).toEqual([]);
    // The policy loop's idle stop doesn't take members: they are meant to idle.
    await loop.runOnce();
    expect((await membersOf(team.id)).map((member) => member.id)).toEqual(members.map((member) => member.id));
  });

  it("claims a running member: usable at once, the user's, with quota and usage moved exactly once", async () => {
    const { team, owner } = await teamWithOwner("claim");
    await setWarmPoolSize(owner, { teamId: team.id, templateId, size: 1 });
    await fill(team.id, 1);
    const [member] = await membersOf(team.id);
    const pool = await getDb().warmPool.findFirstOrThrow({ where: { teamId: team.id } });
    const usageBefore = await teamUsage(team.id);

    const { id } = await create(owner, team.id, "mine");

    expect(id).toBe(member!.id);
    const claimed = await getDb().workspace.findUniqueOrThrow({ where: { id } });
    expect(claimed).toMatchObject({ state: "RUNNING", ownerId: owner.id, name: "mine", warmPoolId: null });
    expect(claimed.claimedAt).not.toBeNull();
    expect((await poolEvents(id)).map((event) => event.message)).toEqual([expect.stringMatching(/^Claimed from the warm pool/)]);
    // The team counted it as the pool's; now as the user's, not twice.
    expect(await teamUsage(team.id)).toEqual(usageBefore);
    // Usage: the pool's intervals end at the claim and the user's begin there, once per kind.
    const intervals = await getDb().usageInterval.findMany({ where: { workspaceId: id }, orderBy: { startedAt: "asc" } });
    for (const kind of ["COMPUTE", "STORAGE"] as const) {
      const ofKind = intervals.filter((interval) => interval.kind === kind);
      expect(ofKind.map((interval) => interval.userId)).toEqual([pool.ownerId, owner.id]);
      expect(ofKind[0]!.endedAt).toEqual(ofKind[1]!.startedAt);
      expect(ofKind[1]!.endedAt).toBeNull();
    }
    // What is the user's reaches the running workspace after the claim: every exec (and terminal) carries it.
    expect((await shell(id, 'printf %s "$PODSPACE_WORKSPACE_NAME"')).stdout).toBe("mine");
    // The listed workspace is the user's; the pool refills behind it.
    expect((await listWorkspacesFor(owner, { teamId: team.id, scope: "mine" })).items.map((item) => item.id)).toEqual([id]);
    await fill(team.id, 1);
    expect((await membersOf(team.id))[0]!.id).not.toBe(id);
  });

  it("never hands one member to two concurrent creates: the rest start cold, saying the pool was empty", async () => {
    const { team, owner } = await teamWithOwner("race");
    await setWarmPoolSize(owner, { teamId: team.id, templateId, size: 3 });
    await fill(team.id, 3);
    const members = new Set((await membersOf(team.id)).map((member) => member.id));
    const users = await Promise.all(Array.from({ length: 20 }, (_, i) => memberOf(team, `user${i}@race.test`)));

    const created = await Promise.all(users.map((user, i) => create(user, team.id, `ws-${i}`)));

    const ids = created.map((result) => result.id);
    expect(new Set(ids).size).toBe(20);
    const claimed = await getDb().workspace.findMany({ where: { id: { in: ids }, claimedAt: { not: null } } });
    expect(claimed).toHaveLength(3);
    expect(new Set(claimed.map((workspace) => workspace.id))).toEqual(members);
    // Each claimed member went to the one who claimed it, with one claim event.
    for (const workspace of claimed) {
      expect(workspace.ownerId).toBe(users[ids.indexOf(workspace.id)]!.id);
      expect(await poolEvents(workspace.id)).toHaveLength(1);
    }
    for (const id of ids.filter((id) => !members.has(id))) {
      expect((await poolEvents(id)).map((event) => event.data)).toEqual([{ claimed: false, reason: "empty" }]);
    }
  });

  it("holds one member's concurrent claims to their own limit, though claims don't queue on the team", async () => {
    const { team, owner } = await teamWithOwner("permember", { maxWorkspacesPerMember: 1 });
    await setWarmPoolSize(owner, { teamId: team.id, templateId, size: 3 });
    await fill(team.id, 3);

    const results = await Promise.allSettled(Array.from({ length: 5 }, (_, i) => create(owner, team.id, `mine-${i}`)));

    expect(results.filter((result) => result.status === "fulfilled")).toHaveLength(1);
    for (const result of results.filter((result) => result.status === "rejected")) {
      expect((result as PromiseRejectedResult).reason).toMatchObject({ code: "quota", message: "Team permember limits workspaces per member to 1; this member would have 2." });
    }
    const mine = await getDb().workspace.findMany({ where: { teamId: team.id, ownerId: owner.id } });
    expect(mine).toHaveLength(1);
    // The pool gave up exactly what was claimed: the one admitted took a
    // member, or (when three others held the three members as it asked, and
    // the member's quota then refused them) started cold, and the members
    // the refused ones held went back.
    const claimed = (await poolEvents(mine[0]!.id)).some((event) => (event.data as { claimed?: boolean }).claimed === true);
    expect(await membersOf(team.id)).toHaveLength(claimed ? 2 : 3);
  });

  it("says why a create that doesn't match the pool starts cold", async () => {
    const { team, owner } = await teamWithOwner("nomatch");
    const { id: noPool } = await create(owner, team.id, "no-pool");
    expect((await poolEvents(noPool)).map((event) => event.data)).toEqual([{ claimed: false, reason: "no-pool" }]);

    await setWarmPoolSize(owner, { teamId: team.id, templateId, size: 1 });
    await fill(team.id, 1);
    const { id } = await create(owner, team.id, "bigger", { cpu: 2 });
    expect((await poolEvents(id)).map((event) => event.data)).toEqual([{ claimed: false, reason: "no-match" }]);
    expect(await membersOf(team.id)).toHaveLength(1);
  });

  it("gives no claimant anything of another's: a released workspace never returns to the pool", async () => {
    const { team, owner } = await teamWithOwner("fresh");
    const other = await memberOf(team, "other@fresh.test");
    await setWarmPoolSize(owner, { teamId: team.id, templateId, size: 1 });
    await fill(team.id, 1);
    const { id: first } = await create(owner, team.id, "secret-project");
    expect((await shell(first, 'echo owner-secret > "$HOME/secret.txt" && cat "$HOME/secret.txt"')).stdout).toBe("owner-secret\n");
    await operateWorkspace(owner, { workspaceId: first, operation: "delete", confirmName: "secret-project" });
    await reconciler.reconcile(first);
    await fill(team.id, 1);

    const { id: second } = await create(other, team.id, "mine");

    expect(second).not.toBe(first);
    expect((await getDb().workspace.findUniqueOrThrow({ where: { id: first } })).warmPoolId).toBeNull();
    const seen = await shell(second, 'ls -A "$HOME"; env');
    expect(seen.exitCode).toBe(0);
    expect(seen.stdout).not.toMatch(/secret|owner-secret/);
    expect(seen.stdout).not.toContain(owner.id);
    expect(seen.stdout).toContain("PODSPACE_WORKSPACE_NAME=mine");
  });

  it("drains the pool when the template gets a new version, and refills it with that version", async () => {
    const { team, owner } = await teamWithOwner("drain");
    const template = await getDb().template.create({
      data: { slug: "drained", name: "Drained", versions: { create: { version: 1, spec: { ...TEST_TEMPLATE, slug: "drained" } as object } } },
    });
    await setWarmPoolSize(owner, { teamId: team.id, templateId: template.id, size: 2 });
    await fill(team.id, 2);
    const old = (await membersOf(team.id)).map((member) => member.id);
    const v2 = await getDb().templateVersion.create({ data: { templateId: template.id, version: 2, spec: { ...TEST_TEMPLATE, slug: "drained" } as object } });

    await fill(team.id, 2);

    const members = await membersOf(team.id);
    expect(members.every((member) => member.templateVersionId === v2.id)).toBe(true);
    for (const id of old) {
      const drained = await getDb().workspace.findUniqueOrThrow({ where: { id } });
      expect(drained.desiredState).toBe("DELETED");
      await reconciler.reconcile(id);
    }
    await expect.poll(async () => getDb().workspace.count({ where: { id: { in: old }, state: "DELETED" } }), { timeout: 30_000 }).toBe(2);
  });

  it("refills only within the team's quota, says why it stopped short, and a claim counts against the claimant once", async () => {
    const { team, owner } = await teamWithOwner("quota", { maxWorkspaces: 2, maxWorkspacesPerMember: 1 });
    await setWarmPoolSize(owner, { teamId: team.id, templateId, size: 3 });
    await fill(team.id, 2);
    const pool = await getDb().warmPool.findFirstOrThrow({ where: { teamId: team.id } });
    expect(pool.refillBlockedReason).toBe("Team quota would use 3 of 2 workspaces.");
    expect(await getDb().workspace.count({ where: { teamId: team.id, state: { not: "DELETED" } } })).toBe(2);

    // The team is at its limit with its pool, yet a claim fits: the member counts already.
    const { id } = await create(owner, team.id, "mine");
    expect((await getDb().workspace.findUniqueOrThrow({ where: { id } })).claimedAt).not.toBeNull();
    expect(await teamUsage(team.id)).toMatchObject({ workspaces: 2 });
    // The owner's own count grew by one: a second one is over their limit, claimed or not.
    await expect(create(owner, team.id, "second")).rejects.toMatchObject({ code: "quota", message: "Team quota limits workspaces per member to 1; this member would have 2." });
    // The pool can't grow back past the team's limit.
    await loop.runOnce();
    expect(await getDb().workspace.count({ where: { teamId: team.id, state: { not: "DELETED" } } })).toBe(2);
  });
});
