import { describe, expect, it } from "vitest";
import { podspaceAdapter } from "@/lib/auth/adapter";
import { getDb } from "@/lib/db/client";
import { useAppDatabase } from "../helpers/app-database";

useAppDatabase();

const link = (userId: string, subject: string) => ({
  userId,
  type: "oidc" as const,
  provider: "corp",
  providerAccountId: subject,
});

describe("the Auth.js adapter", () => {
  it("makes the first person to sign in a platform admin, and nobody after", async () => {
    const adapter = podspaceAdapter();
    const first = await adapter.createUser!({ id: "", email: "First@Corp.example", name: "First", emailVerified: null });
    expect(first.email).toBe("first@corp.example");
    await adapter.linkAccount!(link(first.id, "sub-1"));
    const second = await adapter.createUser!({ id: "", email: "second@corp.example", name: null, emailVerified: null });
    await adapter.linkAccount!(link(second.id, "sub-2"));

    const users = await getDb().user.findMany({ orderBy: { createdAt: "asc" } });
    expect(users.map((u) => [u.email, u.isPlatformAdmin])).toEqual([
      ["first@corp.example", true],
      ["second@corp.example", false],
    ]);
    expect(await adapter.getUserByAccount!({ provider: "corp", providerAccountId: "sub-2" })).toMatchObject({ id: second.id });
    // Podspace keeps no IdP tokens.
    expect(await getDb().account.findFirst({ where: { providerAccountId: "sub-1" } })).toMatchObject({ access_token: null, id_token: null });
  });

  it("stops resolving a session as soon as its user is deactivated", async () => {
    const adapter = podspaceAdapter();
    const user = await getDb().user.create({ data: { email: "leaver@corp.example" } });
    const expires = new Date(Date.now() + 60_000);
    await adapter.createSession!({ sessionToken: "token-1", userId: user.id, expires });
    expect(await adapter.getSessionAndUser!("token-1")).toMatchObject({ user: { id: user.id } });

    await getDb().user.update({ where: { id: user.id }, data: { deactivatedAt: new Date() } });
    expect(await adapter.getSessionAndUser!("token-1")).toBeNull();
    expect(await getDb().session.count({ where: { userId: user.id } })).toBe(0);
    expect(await adapter.getSessionAndUser!("no-such-token")).toBeNull();
  });
});
