import { apiRoute, json } from "@/lib/api/route";
import { templateList, toApiTemplate } from "@/lib/api/v1/schemas";
import { listTemplates } from "@/lib/templates/catalog";

// GET /api/v1/templates: the catalog, by name (?q= searches, ?tag= filters).
export const GET = apiRoute("read", async ({ request, actor }) => {
  const query = new URL(request.url).searchParams;
  const templates = await listTemplates(actor, { search: query.get("q") ?? undefined, tag: query.get("tag") ?? undefined });
  return json(templateList.parse({ templates: templates.map(toApiTemplate) }));
});
