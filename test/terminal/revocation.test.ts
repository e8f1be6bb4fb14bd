import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { getDb } from "@/lib/db/client";
import type { User } from "@/lib/generated/prisma/client";
import { removeMember } from "@/lib/teams/remove-member";
import { getAdminAccess } from "@/lib/workspaces/admin-access";
import { endAccess } from "@/lib/workspaces/end-access";
import { useAppDatabase } from "../helpers/app-database";
import { actorFor } from "../helpers/identity";
import { cookieFor, createPeople, runningWorkspace, signIn, startHarness, TerminalClient, type Harness, type People } from "./harness";

// An open terminal whose user loses access closes within 5 s, with the
// server's default recheck interval, even while its browser sends nothing
// (someone watching a build scroll by): the shell's output must stop too.

useAppDatabase();

const REVOCATION_DEADLINE_MS = 5_000;

describe("an idle terminal whose user loses access", { timeout: 60_000 }, () => {
  let harness: Harness;
  let people: People;
  let workspace: { id: string };

  beforeAll(async () => {
    harness = await startHarness({ hub: { keepAliveMs: 60_000 } });
    people = await createPeople("revoke");
    workspace = await runningWorkspace(harness, people, "revoked-shell");
  }, 60_000);
  afterAll(async () => {
    await harness?.close();
  });

  /** A terminal opened as `user` (the owner by default), printing a line every 200 ms and sent nothing more. */
  async function scrollingTerminal(session: string, user: User = people.owner) {
    const token = await signIn(user);
    const terminal = new TerminalClient(`${harness.wsBase}/api/workspaces/${workspace.id}/terminal?session=${session}`, { cookie: cookieFor(token) });
    await terminal.ready();
    await terminal.run("while :; do echo tick-$((1+1)); sleep 0.2; done", "tick-2");
    return { terminal, token };
  }

  /** The terminal closes with `close` within the deadline, counted from now (just after access was taken away). */
  async function expectClosedInTime(terminal: TerminalClient, close: { code: number; reason: string }) {
    const since = Date.now();
    const timeout = new Promise<never>((_, reject) => setTimeout(() => reject(new Error("the terminal is still open")), REVOCATION_DEADLINE_MS + 1_000).unref());
    const closed = await Promise.race([terminal.closed, timeout]);
    expect(closed).toMatchObject(close);
    expect(Date.now() - since).toBeLessThan(REVOCATION_DEADLINE_MS);
  }
  const ACCESS_LOST = { code: 4403, reason: "no longer has access to this workspace" };
  const SIGNED_OUT = { code: 4401, reason: "signed out" };

  it("closes with 4403, access lost, when its user is removed from the team", async () => {
    const { terminal } = await scrollingTerminal("removed");
    await removeMember(await actorFor(people.teamAdmin), { teamId: people.teamId, userId: people.owner.id });
    try {
      await expectClosedInTime(terminal, ACCESS_LOST);
    } finally {
      terminal.socket.terminate();
      await getDb().membership.create({ data: { teamId: people.teamId, userId: people.owner.id, role: "MEMBER" } });
    }
  });

  it("closes with 4403, access lost, when a platform admin's access grant is ended", async () => {
    const root = people.platformAdmin;
    await getAdminAccess(await actorFor(root), { workspaceId: workspace.id, reason: "Looking into a stuck build, as asked." });
    const { terminal } = await scrollingTerminal("granted", root);
    const grant = await getDb().workspaceAccessGrant.findFirstOrThrow({ where: { workspaceId: workspace.id, userId: root.id } });
    await endAccess(await actorFor(people.owner), { grantId: grant.id });
    try {
      await expectClosedInTime(terminal, ACCESS_LOST);
    } finally {
      terminal.socket.terminate();
    }
  });

  it("closes with 4401, signed out, when its session signs out", async () => {
    const { terminal, token } = await scrollingTerminal("signed-out");
    await getDb().session.delete({ where: { sessionToken: token } });
    try {
      await expectClosedInTime(terminal, SIGNED_OUT);
    } finally {
      terminal.socket.terminate();
    }
  });
});
