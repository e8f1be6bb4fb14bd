import http from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GET } from "@/app/api/workspaces/[id]/events/route";
import { getDb } from "@/lib/db/client";
import type { User } from "@/lib/generated/prisma/client";
import { changeMemberRole } from "@/lib/teams/change-member-role";
import { removeMember } from "@/lib/teams/remove-member";
import { setUserDeactivated } from "@/lib/users/set-user-deactivated";
import { useAppDatabase } from "../helpers/app-database";
import { actorFor, createSession, createTeamWith, createUser, sessionCookie } from "../helpers/identity";
import { serveRoute, type RouteServer } from "../helpers/route-server";

// The workspace page's event stream (/api/workspaces/<id>/events) over real
// HTTP, with real sessions: once its user loses access to the workspace, an
// open stream ends within seconds instead of delivering until it times out,
// and says why last, so the page can tell its user instead of reconnecting.

useAppDatabase();

/** How soon a stream must end once its user has lost access. */
const REVOCATION_DEADLINE_MS = 5_000;

interface OpenStream {
  /** Whole SSE messages received so far. */
  messages: string[];
  /** Resolves with the time the server ended the stream. */
  ended: Promise<number>;
  close(): void;
}

/** Opens the stream as the holder of `token`; resolves once its first message (the workspace's state) is in. */
function openStream(base: string, workspaceId: string, token: string): Promise<OpenStream> {
  return new Promise((resolve, reject) => {
    const request = http.get(`${base}/api/workspaces/${workspaceId}/events`, { headers: { cookie: sessionCookie(token) } }, (response) => {
      if (response.statusCode !== 200) return reject(new Error(`the stream was refused with ${response.statusCode}`));
      const stream: OpenStream = {
        messages: [],
        ended: new Promise((ended) => response.once("close", () => ended(Date.now()))),
        close: () => request.destroy(),
      };
      let buffer = "";
      response.setEncoding("utf8");
      response.on("data", (chunk: string) => {
        buffer += chunk;
        const parts = buffer.split("\n\n");
        buffer = parts.pop()!;
        stream.messages.push(...parts);
        if (stream.messages.some((message) => message.startsWith("event: state"))) resolve(stream);
      });
    });
    request.once("error", reject);
  });
}

/** What the stream says last when its user's access ends. */
const REVOKED = "event: revoked\ndata: {}";

/** Resolves with how long after `since` the stream ended, or rejects if it is still open after the deadline and a second. */
async function endsWithin(stream: OpenStream, since: number): Promise<number> {
  const timeout = new Promise<never>((_, reject) =>
    setTimeout(() => reject(new Error("the stream is still open")), REVOCATION_DEADLINE_MS + 1_000).unref(),
  );
  return (await Promise.race([stream.ended, timeout])) - since;
}

describe("the workspace event stream", { timeout: 30_000 }, () => {
  let server: RouteServer;
  let teamId: string;
  let owner: User;
  let templateVersionId: string;

  beforeAll(async () => {
    server = await serveRoute("/api/workspaces/:id/events", GET as never);
    owner = await createUser("owner@stream.test");
    teamId = (await createTeamWith("stream", [[owner, "OWNER"]])).id;
    const template = await getDb().template.create({
      data: { slug: "stream", name: "Stream", versions: { create: { version: 1, spec: {} } } },
      include: { versions: true },
    });
    templateVersionId = template.versions[0]!.id;
  });
  afterAll(async () => {
    await server?.close();
  });

  /** A team member with their own workspace, and a stream of it open as them. */
  async function watcher(name: string) {
    const user = await createUser(`${name}@stream.test`);
    await getDb().membership.create({ data: { teamId, userId: user.id, role: "MEMBER" } });
    const workspace = await getDb().workspace.create({ data: { name, ownerId: user.id, teamId, templateVersionId, parameters: {} } });
    const token = await createSession(user);
    return { user, workspace, token, stream: await openStream(server.base, workspace.id, token) };
  }

  it("ends the stream of a member removed from the team, and only theirs", async () => {
    const removed = await watcher("removed");
    // The team's owner follows the same workspace, and keeps access.
    const ownersStream = await openStream(server.base, removed.workspace.id, await createSession(owner));
    try {
      await removeMember(await actorFor(owner), { teamId, userId: removed.user.id });
      expect(await endsWithin(removed.stream, Date.now())).toBeLessThan(REVOCATION_DEADLINE_MS);
      expect(removed.stream.messages.at(-1)).toBe(REVOKED);
      let ownersEnded = false;
      void ownersStream.ended.then(() => (ownersEnded = true));
      await new Promise((resolve) => setTimeout(resolve, 500));
      expect(ownersEnded).toBe(false);
    } finally {
      ownersStream.close();
      removed.stream.close();
    }
  });

  it("ends the stream of a user who is deactivated", async () => {
    const deactivated = await watcher("deactivated");
    const admin = await actorFor(await createUser("root@stream.test", { isPlatformAdmin: true }));
    try {
      await setUserDeactivated(admin, { userId: deactivated.user.id, deactivated: true });
      expect(await endsWithin(deactivated.stream, Date.now())).toBeLessThan(REVOCATION_DEADLINE_MS);
    } finally {
      deactivated.stream.close();
    }
  });

  it("ends a team admin's stream of a member's workspace once they are made a member", async () => {
    const member = await watcher("watched");
    const admin = await createUser("demoted@stream.test");
    await getDb().membership.create({ data: { teamId, userId: admin.id, role: "ADMIN" } });
    const adminsStream = await openStream(server.base, member.workspace.id, await createSession(admin));
    try {
      await changeMemberRole(await actorFor(owner), { teamId, userId: admin.id, role: "MEMBER" });
      expect(await endsWithin(adminsStream, Date.now())).toBeLessThan(REVOCATION_DEADLINE_MS);
      expect(adminsStream.messages.at(-1)).toBe(REVOKED);
    } finally {
      adminsStream.close();
      member.stream.close();
    }
  });

  it("ends the stream of a session that signed out", async () => {
    const signedOut = await watcher("signed-out");
    try {
      // What Auth.js's signOut does with a database session.
      await getDb().session.delete({ where: { sessionToken: signedOut.token } });
      expect(await endsWithin(signedOut.stream, Date.now())).toBeLessThan(REVOCATION_DEADLINE_MS);
      expect(signedOut.stream.messages.at(-1)).toBe(REVOKED);
    } finally {
      signedOut.stream.close();
    }
  });
});
