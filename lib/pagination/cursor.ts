import { z } from "zod";

// Where a page of a keyset-paginated list starts, as an opaque string in the
// page's URL: the sort key of the row next to the page, and which way to read
// from it. Anything that doesn't decode to a key of the list's own shape is
// no cursor at all, so a mangled or outdated link shows the first page.

/** "after": the page that follows the row with the key, in the list's order; "before": the page that precedes it. */
export type Direction = "after" | "before";

export interface Cursor<Key> {
  direction: Direction;
  key: Key;
}

/** Far longer than any key (a timestamp and an id, or an email). */
const MAX_LENGTH = 1024;

export function encodeCursor<Key>(cursor: Cursor<Key>): string {
  return Buffer.from(JSON.stringify([cursor.direction, cursor.key])).toString("base64url");
}

function decode(text: string): unknown {
  try {
    return JSON.parse(Buffer.from(text, "base64url").toString("utf8"));
  } catch {
    return undefined;
  }
}

/** The `cursor` search param of a list whose sort key has the shape `key`; undefined (the first page) when absent or unusable. */
export function cursorParam<Key>(key: z.ZodType<Key>) {
  return (
    z
      .string()
      .max(MAX_LENGTH)
      .transform(decode)
      .pipe(z.tuple([z.enum(["after", "before"]), key]))
      // The tuple's type allows for a key schema that accepts undefined; this one has parsed a Key.
      .transform(([direction, value]) => ({ direction, key: value }) as Cursor<Key>)
      .optional()
      .catch(undefined)
  );
}
