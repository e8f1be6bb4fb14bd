import type { Page } from "@/lib/pagination/keyset";

/** More pages than any test's list has: a list whose links go round in circles fails instead of hanging. */
const MAX_PAGES = 1_000;

/**
 * Every page of a list, as its links lead: from the first page through the
 * "next" links to the last, and from there back through the "previous" links
 * (`backward` in the list's order again). `load` gets the link's cursor as the
 * URL carries it, undefined for the first page.
 */
export async function walkPages<P extends Page<unknown>>(load: (cursor: string | undefined) => Promise<P>): Promise<{ forward: P[]; backward: P[] }> {
  const follow = async (first: P, link: "next" | "previous") => {
    const pages = [first];
    for (let cursor = first[link]; cursor !== null; cursor = pages.at(-1)![link]) {
      if (pages.length === MAX_PAGES) throw new Error(`more than ${MAX_PAGES} pages`);
      pages.push(await load(cursor));
    }
    return pages;
  };
  const forward = await follow(await load(undefined), "next");
  const backward = await follow(forward.at(-1)!, "previous");
  return { forward, backward: backward.reverse() };
}
