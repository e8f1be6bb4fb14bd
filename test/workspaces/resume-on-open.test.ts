import { describe, expect, it } from "vitest";
import { recordAudit } from "@/lib/audit";
import { resumesOnOpen } from "@/lib/workspaces/resume-on-open";
import { useAppDatabase } from "../helpers/app-database";
import { createUser } from "../helpers/identity";

// Whether opening a stopped workspace starts it: not when its owner's own
// Stop was its last stop; when Podspace (idle, lifetime, budget) or a team
// admin stopped it, or nothing recorded a stop.

describe("resumesOnOpen", () => {
  useAppDatabase();

  it("resumes unless the owner's own Stop was the last stop", async () => {
    const [owner, admin] = [await createUser("owner@resume.test"), await createUser("admin@resume.test")];
    const workspace = { id: "ws-resume", ownerId: owner.id };
    const stop = (action: "workspace.stop-requested" | "workspace.auto-stopped", actorId: string | null) =>
      recordAudit({ action, actorId, targetType: "workspace", targetId: workspace.id, teamId: null });
    expect(await resumesOnOpen(workspace)).toBe(true);
    await stop("workspace.stop-requested", owner.id);
    expect(await resumesOnOpen(workspace)).toBe(false);
    await stop("workspace.auto-stopped", null);
    expect(await resumesOnOpen(workspace)).toBe(true);
    await stop("workspace.stop-requested", admin.id);
    expect(await resumesOnOpen(workspace)).toBe(true);
    await stop("workspace.stop-requested", owner.id);
    expect(await resumesOnOpen({ ...workspace, id: "another" })).toBe(true);
    expect(await resumesOnOpen(workspace)).toBe(false);
  });
});
