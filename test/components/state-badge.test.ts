import { createElement } from "react";
import { renderToStaticMarkup } from "react-dom/server";
import { describe, expect, it } from "vitest";
import { StateBadge } from "@/components/workspaces/state-badge";
import type { DesiredState, WorkspaceState } from "@/lib/generated/prisma/enums";

const label = (state: WorkspaceState, desiredState: DesiredState) =>
  renderToStaticMarkup(createElement(StateBadge, { state, desiredState })).replace(/<[^>]+>/g, "");

describe("a workspace's state badge", () => {
  it("says a request is under way as soon as it is made, before the reconciler takes it up", () => {
    expect(label("STOPPED", "RUNNING")).toBe("Starting…");
    expect(label("RUNNING", "STOPPED")).toBe("Stopping…");
    expect(label("STOPPED", "DELETED")).toBe("Deleting…");
  });

  it("says the observed state otherwise", () => {
    expect(label("STOPPED", "STOPPED")).toBe("Stopped");
    expect(label("RUNNING", "RUNNING")).toBe("Running");
    expect(label("FAILED", "RUNNING")).toBe("Failed");
    expect(label("PENDING", "RUNNING")).toBe("Pending…");
  });
});
