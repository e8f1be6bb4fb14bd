import { describe, expect, it } from "vitest";
import { coalescingRunner, keyedBatcher } from "./concurrency";

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
