import { describe, expect, it } from "vitest";
import { coalescingRunner, keyedBatcher, requestBatcher } from "./concurrency";

/** A promise the test settles when it chooses. */
function gate() {
  let open = () => {};
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { opened, open };
}

describe("coalescingRunner", () => {
  it("runs a key's requests one at a time, a burst during a run making one more run, begun after it", async () => {
    const log: string[] = [];
    const first = gate();
    const runner = coalescingRunner(4, async () => {
      const run = log.filter((entry) => entry.startsWith("begin")).length + 1;
      log.push(`begin ${run}`);
      if (run === 1) await first.opened;
      log.push(`end ${run}`);
    });
    const underWay = runner.request("a");
    await expect.poll(() => log).toEqual(["begin 1"]);
    const burst = Array.from({ length: 20 }, () => runner.request("a"));
    first.open();
    await Promise.all([underWay, ...burst]);
    expect(log).toEqual(["begin 1", "end 1", "begin 2", "end 2"]);
  });

  it("runs at most `limit` keys at once", async () => {
    let running = 0;
    let most = 0;
    const runner = coalescingRunner(3, async () => {
      most = Math.max(most, ++running);
      await new Promise((resolve) => setImmediate(resolve));
      running -= 1;
    });
    await Promise.all(Array.from({ length: 10 }, (_, n) => runner.request(`k${n}`)));
    expect(most).toBe(3);
  });

  it("settles once every run asked for has ended, a failed one included", async () => {
    const ended: string[] = [];
    const runner = coalescingRunner(2, async (key) => {
      await new Promise((resolve) => setImmediate(resolve));
      ended.push(key);
      if (key === "bad") throw new Error("failed");
    });
    const failed = runner.request("bad");
    void runner.request("good");
    await runner.settled();
    expect(ended.sort()).toEqual(["bad", "good"]);
    await expect(failed).rejects.toThrow("failed");
  });
});

describe("keyedBatcher", () => {
  it("hands a burst over as one batch, the latest value per key, and what arrives meanwhile as the next", async () => {
    const batches: Array<Record<string, number>> = [];
    const first = gate();
    const batcher = keyedBatcher<number>(async (batch) => {
      batches.push(Object.fromEntries(batch));
      if (batches.length === 1) await first.opened;
    });
    for (let n = 0; n < 1000; n++) batcher.add(`k${n % 3}`, n);
    await expect.poll(() => batches.length).toBe(1);
    batcher.add("k0", 1000);
    batcher.add("k3", 1001);
    batcher.add("k0", 1002);
    first.open();
    await batcher.settled();
    expect(batches).toEqual([
      { k0: 999, k1: 997, k2: 998 },
      { k0: 1002, k3: 1001 },
    ]);
  });

  it("starts afresh after it settled", async () => {
    const batches: string[][] = [];
    const batcher = keyedBatcher<null>(async (batch) => void batches.push([...batch.keys()]));
    batcher.add("a", null);
    await batcher.settled();
    batcher.add("b", null);
    await batcher.settled();
    expect(batches).toEqual([["a"], ["b"]]);
  });
});

describe("requestBatcher", () => {
  it("hands a burst over in order as batches of at most the maximum, what arrives meanwhile as the next, and answers each its own outcome", async () => {
    const batches: number[][] = [];
    const first = gate();
    const batcher = requestBatcher<number, number>(4, async (batch) => {
      batches.push([...batch]);
      if (batches.length === 1) await first.opened;
      return batch.map((n) => (n % 2 === 0 ? { ok: true as const, value: n * 10 } : { ok: false as const, error: new Error(`odd ${n}`) }));
    });
    const burst = [1, 2, 3, 4, 5, 6].map((n) => batcher.submit(n));
    await expect.poll(() => batches.length).toBe(1);
    const meanwhile = batcher.submit(8);
    first.open();
    const outcomes = await Promise.allSettled([...burst, meanwhile]);
    expect(batches).toEqual([[1, 2, 3, 4], [5, 6, 8]]);
    expect(outcomes.map((outcome) => (outcome.status === "fulfilled" ? outcome.value : (outcome.reason as Error).message))).toEqual([
      "odd 1", 20, "odd 3", 40, "odd 5", 60, 80,
    ]);
  });

  it("hands each item of a batch that failed as a whole over again alone, so only the item that breaks it fails", async () => {
    const batches: string[][] = [];
    const batcher = requestBatcher<string, string>(10, async (batch) => {
      batches.push([...batch]);
      if (batch.includes("bad")) throw new Error("the batch broke");
      return batch.map((item) => ({ ok: true as const, value: item.toUpperCase() }));
    });
    const outcomes = await Promise.allSettled(["a", "bad", "b"].map((item) => batcher.submit(item)));
    expect(batches).toEqual([["a", "bad", "b"], ["a"], ["bad"], ["b"]]);
    expect(outcomes).toEqual([
      { status: "fulfilled", value: "A" },
      { status: "rejected", reason: new Error("the batch broke") },
      { status: "fulfilled", value: "B" },
    ]);
  });
});
