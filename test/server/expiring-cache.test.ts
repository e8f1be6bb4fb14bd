import { describe, expect, it } from "vitest";
import { createExpiringCache } from "@/lib/server/expiring-cache";

// What the proxies and the Kubernetes runtime's ports list rely on: a key is
// loaded once per ttl, however many callers ask at once.

/** A load per call that resolves only when told to, counting the calls. */
function controlledLoad() {
  const calls: Array<{ key: string; resolve(value: string): void; reject(error: Error): void }> = [];
  const load = (key: string) => new Promise<string>((resolve, reject) => calls.push({ key, resolve, reject }));
  return { calls, load };
}

describe("createExpiringCache", () => {
  it("loads a key once for callers that ask while it loads, and once per key", async () => {
    const { calls, load } = controlledLoad();
    const cached = createExpiringCache({ ttlMs: 60_000, load });
    const asked = [cached("a"), cached("a"), cached("b"), cached("a")];
    expect(calls.map((call) => call.key)).toEqual(["a", "b"]);
    calls[0]!.resolve("A");
    calls[1]!.resolve("B");
    expect(await Promise.all(asked)).toEqual(["A", "A", "B", "A"]);
    expect(await cached("a")).toBe("A");
    expect(calls).toHaveLength(2);
  });

  it("loads a key it was told to forget afresh, and keeps the others", async () => {
    const { calls, load } = controlledLoad();
    const cached = createExpiringCache({ ttlMs: 60_000, load });
    const first = [cached("a"), cached("b")];
    calls[0]!.resolve("A");
    calls[1]!.resolve("B");
    await Promise.all(first);
    cached.forget("a");
    const again = cached("a");
    expect(await cached("b")).toBe("B");
    expect(calls.map((call) => call.key)).toEqual(["a", "b", "a"]);
    calls[2]!.resolve("A2");
    expect(await again).toBe("A2");
  });

  it("loads again after the ttl, and after a failure or a value it doesn't keep", async () => {
    const { calls, load } = controlledLoad();
    const expired = createExpiringCache({ ttlMs: 0, load });
    const first = expired("a");
    calls[0]!.resolve("A");
    await first;
    const second = expired("a");
    expect(calls).toHaveLength(2);
    calls[1]!.resolve("A2");
    expect(await second).toBe("A2");

    const kept = createExpiringCache({ ttlMs: 60_000, load, keep: (value) => value !== "no" });
    const failing = kept("x");
    const sharing = kept("x");
    calls[2]!.reject(new Error("down"));
    await expect(failing).rejects.toThrow("down");
    await expect(sharing).rejects.toThrow("down");
    const refused = kept("x");
    calls[3]!.resolve("no");
    expect(await refused).toBe("no");
    const again = kept("x");
    expect(calls).toHaveLength(5);
    calls[4]!.resolve("yes");
    expect(await again).toBe("yes");
  });
});
