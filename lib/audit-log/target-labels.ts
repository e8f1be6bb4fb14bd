import { getDb } from "@/lib/db/client";

// What an audit entry's target is called, for the people reading the log: an
// entry saying "user cmxd5q8od…" was deactivated doesn't say who. Looked up
// when the page is read, one query per kind of target on the page; a target
// that is gone (a deleted membership, say) keeps only its id.

type Lookup = (ids: string[]) => Promise<Array<{ id: string; label: string }>>;

const LOOKUPS: Record<string, Lookup> = {
  user: async (ids) =>
    (await getDb().user.findMany({ where: { id: { in: ids } }, select: { id: true, email: true } })).map(({ id, email }) => ({ id, label: email })),
  team: async (ids) =>
    (await getDb().team.findMany({ where: { id: { in: ids } }, select: { id: true, slug: true } })).map(({ id, slug }) => ({ id, label: slug })),
  template: async (ids) =>
    (await getDb().template.findMany({ where: { id: { in: ids } }, select: { id: true, slug: true } })).map(({ id, slug }) => ({ id, label: slug })),
  workspace: async (ids) =>
    (await getDb().workspace.findMany({ where: { id: { in: ids } }, select: { id: true, name: true } })).map(({ id, name }) => ({ id, label: name })),
};

const key = (targetType: string, targetId: string) => `${targetType}:${targetId}`;

/** A function naming each target of `entries` whose kind has a name: an email, a slug, a workspace's name. */
export async function targetLabels(
  entries: ReadonlyArray<{ targetType: string; targetId: string | null }>,
): Promise<(targetType: string, targetId: string | null) => string | null> {
  const idsByType = new Map<string, Set<string>>();
  for (const { targetType, targetId } of entries) {
    if (targetId && LOOKUPS[targetType]) idsByType.set(targetType, (idsByType.get(targetType) ?? new Set()).add(targetId));
  }
  const labels = new Map<string, string>();
  await Promise.all(
    [...idsByType].map(async ([targetType, ids]) => {
      for (const { id, label } of await LOOKUPS[targetType]!([...ids])) labels.set(key(targetType, id), label);
    }),
  );
  return (targetType, targetId) => (targetId ? (labels.get(key(targetType, targetId)) ?? null) : null);
}
