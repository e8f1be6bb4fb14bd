import type { Actor } from "@/lib/authz";
import { getDb } from "@/lib/db/client";
import type { SearchUsersInput } from "@/lib/schemas/users";
import { assertAdministersUsers } from "./access";
import { adminUserSelect, toAdminUserView, type AdminUserView } from "./admin-user-view";

export const SEARCH_LIMIT = 50;

export interface UserSearchResult {
  users: AdminUserView[];
  /** More users matched than are listed. */
  truncated: boolean;
}

/** Users whose email or name contains `q` (any case), by email; everyone for an empty query. */
export async function searchUsers(actor: Actor, input: SearchUsersInput): Promise<UserSearchResult> {
  assertAdministersUsers(actor);
  const q = input.q.trim();
  const users = await getDb().user.findMany({
    where: q
      ? { OR: [{ email: { contains: q, mode: "insensitive" } }, { name: { contains: q, mode: "insensitive" } }] }
      : {},
    select: adminUserSelect,
    orderBy: { email: "asc" },
    take: SEARCH_LIMIT + 1,
  });
  return { users: users.slice(0, SEARCH_LIMIT).map(toAdminUserView), truncated: users.length > SEARCH_LIMIT };
}
