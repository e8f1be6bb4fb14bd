import { describe, expect, it } from "vitest";
import { describeLimit, QUOTA_FIELD_INFO } from "@/components/quotas/quota-fields";

// How the Quotas page words a limit: in the form's units, a single core as one.

describe("describeLimit", () => {
  const field = (name: string) => QUOTA_FIELD_INFO.find((info) => info.field === name)!;

  it("words each limit in the form's units", () => {
    expect(describeLimit(field("cpuMillicores"), 1000)).toBe("1 core");
    expect(describeLimit(field("cpuMillicores"), 2500)).toBe("2.5 cores");
    expect(describeLimit(field("memoryMiB"), 1024)).toBe("1 GiB");
    expect(describeLimit(field("maxRunningWorkspaces"), 1)).toBe("1");
    expect(describeLimit(field("cpuMillicores"), null)).toBe("no limit");
  });
});
