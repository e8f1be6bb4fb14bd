import { describe, expect, it } from "vitest";
import { accessLogLevel } from "@/lib/observability/http";

// Errors in the access log are Podspace's faults: what pages and alerts key on.

describe("the access log's levels", () => {
  it("logs Podspace's own 5xx as errors, a workspace origin's (stopped, starting, nothing listening) as warnings", () => {
    expect(accessLogLevel("/workspaces/[id]", 500)).toBe("error");
    expect(accessLogLevel("other", 503)).toBe("error");
    expect(accessLogLevel("/w/[id]/ports/[port]/*", 500)).toBe("error");
    expect(accessLogLevel("<preview host>/*", 503)).toBe("warn");
    expect(accessLogLevel("<ide host>/*", 502)).toBe("warn");
    // A handler that threw is Podspace's fault wherever it was.
    expect(accessLogLevel("<preview host>/*", 500, new Error("boom"))).toBe("error");
    expect(accessLogLevel("/login", 404)).toBe("warn");
    expect(accessLogLevel("/login", 200)).toBe("info");
  });
});
