import { describe, expect, it } from "vitest";
import { cursorParam, encodeCursor, type Cursor } from "@/lib/pagination/cursor";
import { keysetPage } from "@/lib/pagination/keyset";
import { newestFirstCursor } from "@/lib/pagination/newest-first";
import { z } from "zod";

// Cursors as page links carry them, and the paging around them, on a list
// held in memory: what every keyset-paginated list shares.

/** A cursor as encodeCursor would write it, of any content. */
const encoded = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");

describe("a page's cursor", () => {
  it("reads back what was written", () => {
    const cursor = { direction: "before", key: ["2026-11-24T10:00:00.123Z", "cm3abc"] } as const;
    expect(newestFirstCursor.parse(encodeCursor(cursor))).toEqual(cursor);
  });

  it("is no cursor, so the first page, when absent, mangled, of another list's shape or not a string", () => {
    const emailCursor = cursorParam(z.tuple([z.email()]));
    for (const value of [
      undefined,
      "",
      "not a cursor",
      "%%%",
      encoded(["sideways", ["a@b.test"]]),
      encoded(["after", ["2026-11-24T10:00:00.000Z", "id"]]),
      encoded(["after", "a@b.test"]),
      encoded(["after", ["a@b.test"]]).slice(0, -4),
      encodeCursor({ direction: "after", key: ["x".repeat(2000)] }),
      ["one", "two"],
    ]) {
      expect(emailCursor.parse(value), JSON.stringify(value)).toBeUndefined();
    }
    expect(newestFirstCursor.parse(encodeCursor({ direction: "after", key: ["yesterday", "id"] }))).toBeUndefined();
  });
});

describe("a page of a list", () => {
  const list = Array.from({ length: 7 }, (_, n) => n + 1);
  /** The numbers 1 to 7 in order, as a database would answer a keyset query. */
  const fetchFrom = (rows: number[]) => async (cursor: Cursor<number> | undefined, take: number) =>
    cursor?.direction === "before" ? rows.filter((n) => n < cursor.key).toReversed().slice(0, take) : rows.filter((n) => !cursor || n > cursor.key).slice(0, take);
  const page = (cursor: string | null | undefined, rows = list) =>
    keysetPage({ cursor: cursorParam(z.number()).parse(cursor ?? undefined), size: 3, fetch: fetchFrom(rows), keyOf: (n) => n });

  it("links each page to its neighbours, and the way back from near the start to the whole first page", async () => {
    const first = await page(undefined);
    expect(first).toMatchObject({ items: [1, 2, 3], previous: null });
    const second = await page(first.next);
    expect(second.items).toEqual([4, 5, 6]);
    const last = await page(second.next);
    expect(last).toMatchObject({ items: [7], next: null });
    expect((await page(last.previous)).items).toEqual([4, 5, 6]);
    // Before 3 are only 1 and 2: the first page, whole, with nothing before it.
    expect(await page(encodeCursor({ direction: "before", key: 3 }))).toEqual(first);
  });

  it("is empty and linked to nothing past the end, when the rows it pointed at are gone", async () => {
    const second = await page((await page(undefined)).next);
    expect(await page(second.next, [1, 2, 3, 4, 5, 6])).toEqual({ items: [], previous: null, next: null });
  });
});
