import { z } from "zod";
import type { Prisma } from "@/lib/generated/prisma/client";
import { idSchema } from "@/lib/schemas/fields";
import { cursorParam, type Cursor } from "./cursor";

// The order of the lists that show the newest first (workspaces, the audit
// log): by createdAt, and by id among rows of the same millisecond, both
// descending, so that an index on (…, createdAt, id) serves every page.

export type NewestFirstKey = [createdAt: string, id: string];

export const newestFirstCursor = cursorParam(z.tuple([z.iso.datetime(), idSchema]));

export const newestFirstKey = (row: { createdAt: Date; id: string }): NewestFirstKey => [row.createdAt.toISOString(), row.id];

/** The `where` and `orderBy` of a keyset query (see keysetPage) on a model with createdAt and id. */
export function newestFirstSlice(cursor: Cursor<NewestFirstKey> | undefined) {
  const before = cursor?.direction === "before";
  const order: Prisma.SortOrder = before ? "asc" : "desc";
  const orderBy = [{ createdAt: order }, { id: order }];
  if (!cursor) return { where: {}, orderBy };
  const createdAt = new Date(cursor.key[0]);
  const id = cursor.key[1];
  // The bound on createdAt alone is what the index scan starts from; the OR settles ties within the millisecond.
  const where = before
    ? { AND: [{ createdAt: { gte: createdAt } }, { OR: [{ createdAt: { gt: createdAt } }, { id: { gt: id } }] }] }
    : { AND: [{ createdAt: { lte: createdAt } }, { OR: [{ createdAt: { lt: createdAt } }, { id: { lt: id } }] }] };
  return { where, orderBy };
}
