import { openApiDocument } from "@/lib/api/v1/openapi";
import { env } from "@/lib/env";

// GET /api/v1/openapi.json: the API's description, for clients and people;
// public, like any API's documentation: it holds nothing about this install
// but its URL and version.
export function GET(): Response {
  return Response.json(openApiDocument(env.PODSPACE_URL.replace(/\/$/, "")), { headers: { "Cache-Control": "public, max-age=300" } });
}
