import { describe, expect, it } from "vitest";
import { z } from "zod";
import { createPortLinkSchema, portShareCapSchema, revokePortLinkSchema, sharePortSchema } from "@/lib/schemas/ports";

// What the port forms' server actions accept, as their hidden fields and
// selects send it: anything else is told next to its field, before any
// domain function runs (whose own parse would fail as a bug, not a message).

const errorsOf = (schema: z.ZodType, values: Record<string, string>) => {
  const parsed = schema.safeParse(values);
  return parsed.success ? null : z.flattenError(parsed.error).fieldErrors;
};

describe("the port forms", () => {
  it("take a link's lifetime from an hour to 7 days, in whole hours, for a real port", () => {
    expect(createPortLinkSchema.parse({ workspaceId: "w1", port: "5173", hours: "168" })).toEqual({ workspaceId: "w1", port: 5173, hours: 168 });
    expect(errorsOf(createPortLinkSchema, { workspaceId: "w1", port: "5173", hours: "169" })).toEqual({ hours: ["A link lasts at most 7 days."] });
    expect(errorsOf(createPortLinkSchema, { workspaceId: "w1", port: "5173", hours: "0" })).toEqual({ hours: ["A link lasts at least an hour."] });
    expect(errorsOf(createPortLinkSchema, { workspaceId: "w1", port: "5173", hours: "1.5" })).toEqual({ hours: ["Choose how long the link lasts."] });
    expect(errorsOf(createPortLinkSchema, { workspaceId: "w1", port: "65536", hours: "1" })).toEqual({ port: ["Not a port number."] });
    expect(errorsOf(createPortLinkSchema, { workspaceId: "", port: "x", hours: "1" })).toEqual({ workspaceId: ["Missing id."], port: ["Not a port number."] });
  });

  it("take share levels by name only", () => {
    expect(sharePortSchema.parse({ workspaceId: "w1", port: "80", share: "team" })).toEqual({ workspaceId: "w1", port: 80, share: "team" });
    expect(errorsOf(sharePortSchema, { workspaceId: "w1", port: "0", share: "team" })).toEqual({ port: ["Not a port number."] });
    expect(errorsOf(portShareCapSchema, { teamId: "t1", maxShare: "everyone" })).toHaveProperty("maxShare");
    expect(errorsOf(revokePortLinkSchema, { linkId: " " })).toEqual({ linkId: ["Missing id."] });
  });
});
