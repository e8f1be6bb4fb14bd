import { encodeCursor, type Cursor } from "./cursor";

// Keyset pagination: each page is read from its cursor's key on, by an
// index, however deep the page; no OFFSET and no count of what came before.

export interface Page<Item> {
  items: Item[];
  /** The cursor of the page before this one; null on the first page (and on an empty one). */
  previous: string | null;
  /** The cursor of the page after this one; null on the last. */
  next: string | null;
}

export interface KeysetQuery<Row, Key> {
  cursor: Cursor<Key> | undefined;
  /** Rows per page. */
  size: number;
  /**
   * At most `take` rows next to the cursor: with "after" (or no cursor), the
   * rows that follow it in the list's order; with "before", the rows that
   * precede it, nearest first, so in reverse order.
   */
  fetch: (cursor: Cursor<Key> | undefined, take: number) => Promise<Row[]>;
  /** The row's sort key: the values the list is ordered by, ending with a unique one. */
  keyOf: (row: Row) => Key;
}

export async function keysetPage<Row, Key>(query: KeysetQuery<Row, Key>): Promise<Page<Row>> {
  const { cursor, size, keyOf, fetch } = query;
  const at = (row: Row | undefined, direction: Cursor<Key>["direction"]) => (row === undefined ? null : encodeCursor({ direction, key: keyOf(row) }));
  // One row more than fits says whether there is another page that way.
  const rows = await fetch(cursor, size + 1);
  const more = rows.length > size;
  const items = rows.slice(0, size);
  if (cursor?.direction === "before") {
    // Back at the start: the whole first page rather than what's left of it.
    if (!more) return keysetPage({ ...query, cursor: undefined });
    items.reverse();
    return { items, previous: at(items[0], "before"), next: at(items.at(-1), "after") };
  }
  // A cursor past the end (its rows went meanwhile) gives an empty page, linked to nothing: the list offers its first page.
  return { items, previous: cursor ? at(items[0], "before") : null, next: more ? at(items.at(-1), "after") : null };
}
