import type { Actor } from "@/lib/authz";
import { getDb } from "@/lib/db/client";
import { keysetPage, type Page } from "@/lib/pagination/keyset";
import type { SearchUsersInput } from "@/lib/schemas/users";
import { assertAdministersUsers } from "./access";
import { adminUserSelect, toAdminUserView, type AdminUserView } from "./admin-user-view";

export const SEARCH_LIMIT = 50;

/** Users whose email or name contains `q` (any case), by email, a page at a time; everyone for an empty query. */
export async function searchUsers(actor: Actor, input: SearchUsersInput): Promise<Page<AdminUserView>> {
  assertAdministersUsers(actor);
  const q = input.q.trim();
  const matching = q ? { OR: [{ email: { contains: q, mode: "insensitive" as const } }, { name: { contains: q, mode: "insensitive" as const } }] } : {};
  const page = await keysetPage({
    cursor: input.cursor,
    size: SEARCH_LIMIT,
    fetch: (cursor, take) => {
      const before = cursor?.direction === "before";
      return getDb().user.findMany({
        where: { ...matching, ...(cursor ? { email: before ? { lt: cursor.key[0] } : { gt: cursor.key[0] } } : {}) },
        select: adminUserSelect,
        orderBy: { email: before ? "desc" : "asc" },
        take,
      });
    },
    keyOf: (user): [string] => [user.email],
  });
  return { ...page, items: page.items.map(toAdminUserView) };
}
