import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { getDb } from "@/lib/db/client";
import type { WorkspaceState } from "@/lib/generated/prisma/enums";
import { createLocalRuntime } from "@/lib/runtime/local/local-runtime";
import type { WorkspaceRuntime } from "@/lib/runtime/types";
import { createWorkspaceSchema } from "@/lib/schemas/workspaces";
import { DEFAULT_BACKUP_EXCLUDES, type TemplateSpec } from "@/lib/templates/spec";
import { teamUsage } from "@/lib/quotas/usage";
import { bulkStopWorkspaces } from "@/lib/workspaces/bulk-stop";
import { changeWorkspaceSettings } from "@/lib/workspaces/change-settings";
import { createWorkspace } from "@/lib/workspaces/create-workspace";
import { operateWorkspace } from "@/lib/workspaces/operate-workspace";
import { createReconciler, type Reconciler } from "@/lib/workspaces/reconciler";
import { useAppDatabase } from "../helpers/app-database";
import { actorFor, auditLogFor, createTeamWith, createUser } from "../helpers/identity";
import { contractSpec, TEST_SHARED_PATHS } from "../runtime/contract";
import { endLocalWorkspaces } from "../helpers/local-workspaces";

// What users do to workspaces beyond start and stop — restart, update to the
// template's latest version, bulk stop — and the refusals of bad input, on a
// real database with the reconciler driving the real local runtime.

useAppDatabase();

const V1: TemplateSpec = {
  slug: "ops",
  name: "Ops",
  description: "",
  icon: "box",
  tags: [],
  image: "podspace/test:1",
  resources: { cpu: { default: 1, options: [1, 2] }, memoryGiB: { default: 1, min: 1, max: 4 }, diskGiB: { default: 1, min: 1, max: 10 } },
  parameters: [],
  ports: [],
  env: {},
  startupScript: "echo 1 > version.txt",
  ide: contractSpec("unused").ide,
  backup: { exclude: DEFAULT_BACKUP_EXCLUDES },
  idleTimeoutMinutes: 60,
  maxLifetimeHours: 24,
};
/** Adds a parameter and writes its own marker at startup. */
const V2: TemplateSpec = {
  ...V1,
  parameters: [{ name: "editor", label: "Editor", description: "", type: "string", options: ["vim", "nano"], default: "vim", mutable: true }],
  startupScript: "echo 2 > version.txt",
};

describe("workspace operations", { timeout: 90_000 }, () => {
  let dataDir: string;
  let runtime: WorkspaceRuntime;
  let reconciler: Reconciler;
  let ownerId: string;
  let teamId: string;
  let otherTeamId: string;
  let owner: Awaited<ReturnType<typeof actorFor>>;
  let admin: Awaited<ReturnType<typeof actorFor>>;
  let teammate: Awaited<ReturnType<typeof actorFor>>;

  beforeAll(async () => {
    dataDir = await fs.mkdtemp(path.join(os.tmpdir(), "podspace-operations-"));
    runtime = createLocalRuntime({ dataDir, cacheDir: path.join(dataDir, "cache"), sharedPaths: TEST_SHARED_PATHS });
    reconciler = createReconciler(runtime, { intervalMs: 300 });
    reconciler.start();
    const [ownerUser, adminUser, teammateUser, outsider] = await Promise.all(
      ["owner", "admin", "mate", "outsider"].map((name) => createUser(`${name}@ops.test`)),
    );
    const team = await createTeamWith("ops", [
      [ownerUser!, "MEMBER"],
      [adminUser!, "ADMIN"],
      [teammateUser!, "MEMBER"],
    ]);
    otherTeamId = (await createTeamWith("elsewhere", [[outsider!, "OWNER"]])).id;
    await getDb().template.create({ data: { slug: "ops", name: "Ops", versions: { create: { version: 1, spec: V1 as object } } } });
    [ownerId, teamId] = [ownerUser!.id, team.id];
    [owner, admin, teammate] = await Promise.all([actorFor(ownerUser!), actorFor(adminUser!), actorFor(teammateUser!)]);
  });
  afterAll(async () => {
    await reconciler?.stop();
    await runtime?.close();
    await endLocalWorkspaces(dataDir);
    await fs.rm(dataDir, { recursive: true, force: true });
  });

  const create = (name: string, parameters: unknown = {}) =>
    createWorkspace(owner, { name, teamId, templateSlug: "ops", gitRepository: undefined, parameters });
  const row = (id: string) => getDb().workspace.findUniqueOrThrow({ where: { id }, include: { templateVersion: true } });
  /** The workspace's state; a failure with its message, so that a test that meets one says why. */
  const stateOf = async (id: string) => {
    const { state } = await row(id);
    if (state !== "FAILED") return state;
    const error = await getDb().workspaceEvent.findFirst({ where: { workspaceId: id, level: "ERROR" }, orderBy: { createdAt: "desc" } });
    return `FAILED: ${error?.message ?? "no error event"}`;
  };
  const waitFor = (id: string, state: WorkspaceState) => expect.poll(() => stateOf(id), { timeout: 30_000, interval: 100 }).toBe(state);
  const mainPid = async (id: string) =>
    (JSON.parse(await fs.readFile(path.join(dataDir, "runtime", "local", `${id}.json`), "utf8")) as { pid: number }).pid;
  const home = (id: string) => path.join(dataDir, "workspaces", id);

  describe("refusing bad input with a message at the field, creating nothing", () => {
    const count = () => getDb().workspace.count();
    // Against version 1, before the tests below add newer ones.
    beforeAll(() => create("taken"));

    it("refuses names that aren't DNS labels", () => {
      for (const name of ["Bad_Name", "-leading", "trailing-", "a".repeat(33), "ünïcode", ""]) {
        const parsed = createWorkspaceSchema.safeParse({ name, teamId, templateSlug: "ops", parameters: {} });
        expect(parsed.success, name).toBe(false);
        expect(parsed.error!.issues[0]).toMatchObject({ path: ["name"] });
      }
      expect(createWorkspaceSchema.safeParse({ name: "good-name-2", teamId, templateSlug: "ops", parameters: {} }).success).toBe(true);
    });

    it.each([
      ["an out-of-range parameter", { name: "big", parameters: { memoryGiB: 64 } }, { code: "invalid", field: "parameters.memoryGiB", message: "Memory must be at most 4" }],
      ["a value not among the options", { name: "odd", parameters: { cpu: 3 } }, { code: "invalid", field: "parameters.cpu", message: "CPU must be one of 1, 2" }],
      [
        "a parameter the template doesn't take",
        { name: "typo", parameters: { memoryGB: 2 } },
        { code: "invalid", field: "parameters.memoryGB", message: "Ops has no parameter memoryGB. It takes cpu, memoryGiB, diskGiB, and no values." },
      ],
      [
        "a template value the template doesn't have",
        { name: "stray", parameters: { values: { shell: "zsh" } } },
        { code: "invalid", field: "parameters.values.shell", message: "Ops has no parameter shell. It takes cpu, memoryGiB, diskGiB, and no values." },
      ],
      ["an unknown template", { name: "nowhere", templateSlug: "no-such-template" }, { code: "not_found", field: "templateSlug" }],
      ["a team the user isn't in", { name: "foreign", teamId: "other" }, { code: "not_found", message: "Team not found." }],
      ["a name the owner already uses", { name: "taken" }, { code: "conflict", field: "name", message: "You already have a workspace named taken." }],
    ])("refuses %s", async (_case, input, error) => {
      const before = await count();
      const attempt = { teamId, templateSlug: "ops", gitRepository: undefined, parameters: {}, ...input };
      if (attempt.teamId === "other") attempt.teamId = otherTeamId;
      await expect(createWorkspace(owner, attempt)).rejects.toMatchObject(error);
      expect(await count()).toBe(before);
    });
  });

  it("gives an Idempotency-Key's retry the same workspace, and a new one once that was deleted", async () => {
    const keyed = (name: string) =>
      createWorkspace(owner, { name, teamId, templateSlug: "ops", gitRepository: undefined, parameters: {} }, { idempotencyKey: "pipeline-42" });
    const first = await keyed("keyed");
    expect(first.created).toBe(true);
    expect(await keyed("keyed")).toEqual({ id: first.id, created: false });

    await operateWorkspace(owner, { workspaceId: first.id, operation: "delete", confirmName: "keyed" });
    await waitFor(first.id, "DELETED");
    const second = await keyed("keyed");
    expect(second.created).toBe(true);
    expect(second.id).not.toBe(first.id);
    expect(await keyed("keyed")).toEqual({ id: second.id, created: false });
  });

  it("restarts a running workspace: a new process, the home kept, recorded as events", async () => {
    const { id } = await create("restarted");
    await waitFor(id, "RUNNING");
    const before = await mainPid(id);
    await fs.writeFile(path.join(home(id), "notes.txt"), "kept");

    await operateWorkspace(owner, { workspaceId: id, operation: "restart" });
    await expect.poll(async () => (await row(id)).restartRequestedAt, { timeout: 30_000 }).toBeNull();
    await waitFor(id, "RUNNING");
    expect(await mainPid(id)).not.toBe(before);
    expect(await fs.readFile(path.join(home(id), "notes.txt"), "utf8")).toBe("kept");
    const moves = await getDb().workspaceEvent.findMany({ where: { workspaceId: id, step: "state" }, orderBy: { createdAt: "asc" } });
    expect(moves.map((event) => (event.data as { to?: string } | null)?.to).filter(Boolean)).toEqual([
      "STARTING",
      "RUNNING",
      "STOPPING",
      "STOPPED",
      "STARTING",
      "RUNNING",
    ]);
    expect((await auditLogFor(id)).map((entry) => entry.action)).toContain("workspace.restart-requested");
  });

  it("refuses to restart a workspace that isn't running", async () => {
    const { id } = await create("idle");
    await operateWorkspace(owner, { workspaceId: id, operation: "stop" });
    await waitFor(id, "STOPPED");
    await expect(operateWorkspace(owner, { workspaceId: id, operation: "restart" })).rejects.toMatchObject({
      code: "conflict",
      message: "Only a running workspace can be restarted.",
    });
  });

  it("updates a running workspace to the latest version: parameters carried over, restarted on the new version, audited", async () => {
    const { id } = await create("updated", { cpu: 2 });
    await waitFor(id, "RUNNING");
    // RUNNING means its shell works; the startup script runs beside it.
    await expect.poll(() => fs.readFile(path.join(home(id), "version.txt"), "utf8").catch(() => ""), { timeout: 30_000 }).toBe("1\n");
    await expect(operateWorkspace(owner, { workspaceId: id, operation: "update" })).rejects.toMatchObject({
      code: "conflict",
      message: "updated already uses the latest version of Ops.",
    });

    const template = await getDb().template.findUniqueOrThrow({ where: { slug: "ops" } });
    await getDb().templateVersion.create({ data: { templateId: template.id, version: 2, spec: V2 as object } });
    await operateWorkspace(owner, { workspaceId: id, operation: "update" });
    const updated = await row(id);
    expect(updated.templateVersion.version).toBe(2);
    expect(updated.parameters).toEqual({ cpu: 2, memoryGiB: 1, diskGiB: 1, values: { editor: "vim" } });

    await expect.poll(() => fs.readFile(path.join(home(id), "version.txt"), "utf8").catch(() => ""), { timeout: 30_000 }).toBe("2\n");
    await waitFor(id, "RUNNING");
    const [audit] = (await auditLogFor(id)).filter((entry) => entry.action === "workspace.updated");
    expect(audit).toMatchObject({ before: { version: 1 }, after: { version: 2, restart: true } });
    const events = await getDb().workspaceEvent.findMany({ where: { workspaceId: id }, select: { message: true } });
    expect(events.map((event) => event.message)).toContain("Updated to Ops v2");
  });

  it("refuses an update the new version can't take, naming the setting, and changes nothing", async () => {
    const { id } = await create("stuck", { cpu: 2 });
    const template = await getDb().template.findUniqueOrThrow({ where: { slug: "ops" } });
    const narrower = { ...V2, resources: { ...V2.resources, cpu: { default: 1, options: [1] } } };
    await getDb().templateVersion.create({ data: { templateId: template.id, version: 3, spec: narrower as object } });

    await expect(operateWorkspace(owner, { workspaceId: id, operation: "update" })).rejects.toMatchObject({
      code: "invalid",
      message: "Version 3 of Ops doesn't accept this workspace's settings: CPU must be one of 1.",
    });
    const unchanged = await row(id);
    expect(unchanged.templateVersion.version).toBe(2);
    expect(unchanged.restartRequestedAt).toBeNull();
  });

  it("changes a running workspace's settings and restarts it to apply them, audited", async () => {
    const { id } = await getDb().workspace.findFirstOrThrow({ where: { name: "updated" } });
    const result = await changeWorkspaceSettings(owner, { workspaceId: id, parameters: { cpu: 1, memoryGiB: 1, diskGiB: 1, values: { editor: "nano" } } });
    expect(result).toEqual({ changed: ["CPU 2 → 1", "Editor vim → nano"], restarts: true });
    expect((await row(id)).parameters).toEqual({ cpu: 1, memoryGiB: 1, diskGiB: 1, values: { editor: "nano" } });
    await expect.poll(async () => (await row(id)).restartRequestedAt, { timeout: 30_000 }).toBeNull();
    await waitFor(id, "RUNNING");
    const [audit] = (await auditLogFor(id)).filter((entry) => entry.action === "workspace.settings-changed");
    expect(audit).toMatchObject({ before: { cpu: 2, values: { editor: "vim" } }, after: { cpu: 1, values: { editor: "nano" } } });
  });

  it("refuses settings the template or the quota doesn't allow, naming them, and changes nothing", async () => {
    const { id } = await getDb().workspace.findFirstOrThrow({ where: { name: "updated" } });
    const current = { cpu: 1, memoryGiB: 1, diskGiB: 1, values: { editor: "nano" } };
    const attempt = (parameters: object) => changeWorkspaceSettings(owner, { workspaceId: id, parameters: { ...current, ...parameters } });
    await expect(attempt({ diskGiB: 5 })).rejects.toMatchObject({ code: "invalid", field: "parameters.diskGiB", message: "The home volume's size is fixed at 1 GiB." });
    await expect(attempt({ memoryGiB: 9 })).rejects.toMatchObject({ code: "invalid", field: "parameters.memoryGiB", message: "Memory must be at most 4" });
    await expect(attempt({ values: { editor: "emacs" } })).rejects.toMatchObject({ code: "invalid", field: "parameters.values.editor" });
    await expect(attempt({})).rejects.toMatchObject({ code: "conflict", message: "Nothing changed." });
    await expect(changeWorkspaceSettings(teammate, { workspaceId: id, parameters: current })).rejects.toMatchObject({ code: "not_found" });

    // The team is at its CPU limit: one more core is refused with the numbers.
    const { cpuCores } = await teamUsage(teamId);
    await getDb().teamQuota.create({ data: { teamId, scope: "LIMIT", cpuMillicores: cpuCores * 1000 } });
    await expect(attempt({ cpu: 2 })).rejects.toMatchObject({ code: "quota", message: `Team ops would use ${cpuCores + 1} of ${cpuCores} CPU cores.` });
    expect((await row(id)).parameters).toEqual(current);
    expect((await row(id)).restartRequestedAt).toBeNull();
    await getDb().teamQuota.deleteMany({ where: { teamId } });
  });

  it("lets a team admin stop several workspaces at once, and says which it couldn't stop and why", async () => {
    const [first, second] = [await create("bulk-a"), await create("bulk-b")];
    const foreign = await getDb().workspace.create({
      data: {
        name: "foreign",
        ownerId,
        teamId: otherTeamId,
        templateVersionId: (await row(first.id)).templateVersionId,
        parameters: { cpu: 1, memoryGiB: 1, diskGiB: 1, values: {} },
      },
    });

    // A member can't stop a teammate's workspaces, one at a time or in bulk, nor learn their names.
    expect(await bulkStopWorkspaces(teammate, [first.id])).toEqual({ stopped: [], refused: [{ name: first.id, message: "Workspace not found." }] });

    const result = await bulkStopWorkspaces(admin, [first.id, second.id, foreign.id, first.id]);
    expect(result).toEqual({ stopped: ["bulk-a", "bulk-b"], refused: [{ name: foreign.id, message: "Workspace not found." }] });
    await waitFor(first.id, "STOPPED");
    await waitFor(second.id, "STOPPED");
    expect((await row(foreign.id)).desiredState).toBe("RUNNING");
    expect((await auditLogFor(first.id)).filter((entry) => entry.action === "workspace.stop-requested")).toHaveLength(1);
  });

});
