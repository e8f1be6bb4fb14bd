import { describe, expect, it } from "vitest";
import { pickTeam } from "@/lib/teams/selected-team";

// The team a user works in: the one they chose (the team cookie), else the
// one they joined first, however the others sort.

const team = (slug: string, joined: string) => ({ id: `id-${slug}`, slug, name: slug.toUpperCase(), role: "MEMBER" as const, joinedAt: new Date(joined) });

describe("pickTeam", () => {
  const demo = team("demo", "2026-01-01T00:00:00Z");
  const ml = team("ml", "2026-06-01T00:00:00Z");

  it("keeps the team joined first when another is added, until the user chooses", () => {
    // Listed by name, as the switcher shows them: "ML" after "DEMO"; "aardvark" before both.
    const aardvark = team("aardvark", "2026-07-01T00:00:00Z");
    expect(pickTeam([aardvark, demo, ml], undefined)).toBe(demo);
    expect(pickTeam([aardvark, demo, ml], "ml")).toBe(ml);
    // A cookie naming a team they left: the first joined again.
    expect(pickTeam([demo, ml], "gone")).toBe(demo);
    expect(pickTeam([], undefined)).toBeNull();
  });
});
