import { describe, expect, it } from "vitest";
import { addMemberSchema, createTeamSchema } from "@/lib/schemas/teams";
import { searchUsersSchema, setUserDeactivatedSchema } from "@/lib/schemas/users";

describe("form schemas", () => {
  it("normalizes emails and rejects malformed ones", () => {
    expect(addMemberSchema.parse({ teamId: "t1", email: "  Ada@Example.COM ", role: "ADMIN" }).email).toBe("ada@example.com");
    expect(addMemberSchema.safeParse({ teamId: "t1", email: "not-an-email", role: "ADMIN" }).success).toBe(false);
    expect(addMemberSchema.safeParse({ teamId: "t1", email: "a@b.co", role: "GOD" }).success).toBe(false);
  });

  it.each([
    ["ml", true],
    ["a", true],
    ["team-2", true],
    ["9lives", true],
    ["a".repeat(40), true],
    ["a".repeat(41), false],
    ["-lead", false],
    ["trail-", false],
    ["Upper", false],
    ["under_score", false],
    ["", false],
  ])("accepts %j as a team slug: %s", (slug, ok) => {
    expect(createTeamSchema.safeParse({ name: "Team", slug, ownerEmail: "o@example.com" }).success).toBe(ok);
  });

  it("reads form booleans and never fails a search", () => {
    expect(setUserDeactivatedSchema.parse({ userId: "u1", deactivated: "true" }).deactivated).toBe(true);
    expect(setUserDeactivatedSchema.parse({ userId: "u1", deactivated: "false" }).deactivated).toBe(false);
    expect(searchUsersSchema.parse({ q: ["a", "b"] }).q).toBe("");
    expect(searchUsersSchema.parse({}).q).toBe("");
    expect(searchUsersSchema.parse({ q: "  grace " }).q).toBe("grace");
  });
});
