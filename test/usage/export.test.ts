import { describe, expect, it } from "vitest";
import { getDb } from "@/lib/db/client";
import type { Period } from "@/lib/usage/period";
import { usageCsv } from "@/lib/usage/export";
import { createTeamWith } from "../helpers/identity";
import { useAppDatabase } from "../helpers/app-database";

// The usage CSV is read page by page (2,000 rows), each page after the last
// row of the one before, by (day, workspace): every row must come out once,
// in order, however the pages fall.

useAppDatabase();

const DAY = 86_400_000;
const START = Date.UTC(2026, 4, 1);

describe("the usage CSV export", () => {
  it("streams every workspace day of the period once, by day then workspace, across pages", async () => {
    const team = await createTeamWith("csv-pages");
    const workspaces = Array.from({ length: 1_500 }, (_, i) => `w${String(i).padStart(4, "0")}`);
    // Four days, the last outside the period: 4,500 rows in it, over three pages.
    await getDb().usageDailyRollup.createMany({
      data: [0, 1, 2, 3].flatMap((day) =>
        workspaces.map((workspaceId) => ({ day: new Date(START + day * DAY), workspaceId, teamId: team.id, userId: "u", templateId: "t", workspaceSeconds: 3_600n })),
      ),
    });
    const period: Period = { kind: "custom", from: new Date(START), until: new Date(START + 3 * DAY) };

    const csv = await new Response(usageCsv(team.id, period)).text();
    const [header, ...rows] = csv.trimEnd().split("\n");
    expect(header).toBe("day,team,user,template,workspace,cpu_core_hours,memory_gib_hours,storage_gib_days,workspace_hours,sessions_ended");
    const keys = rows.map((row) => row.split(",").filter((_, column) => column === 0 || column === 4).join(" "));
    const expected = ["2026-05-01", "2026-05-02", "2026-05-03"].flatMap((day) => workspaces.map((workspace) => `${day} ${workspace}`));
    expect(keys).toEqual(expected);
    expect(rows[0]).toBe("2026-05-01,csv-pages,u,t,w0000,0,0,0,1,0");
  });
});
