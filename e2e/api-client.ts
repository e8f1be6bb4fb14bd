import { Ajv2020 } from "ajv/dist/2020.js";
import addFormats from "ajv-formats";
import { expect } from "vitest";

// What the API's e2e tests share: requests whose answers are checked against
// the served OpenAPI document (tokens come from ./api-tokens.ts).

export interface OpenApi {
  components: { schemas: Record<string, object> };
  paths: Record<string, Record<string, { responses: Record<string, { content?: { "application/json": { schema: { $ref: string } } } }> }>>;
}

export type ApiCall = (
  token: string | null,
  method: string,
  route: string,
  documented: string,
  body?: unknown,
  headers?: Record<string, string>,
  // Typed loosely on purpose: its shape was just checked against the document, which is what these suites test.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
) => Promise<{ status: number; headers: Headers; json: Record<string, any> }>;

/** Fetches /api/v1/openapi.json; `api` then makes requests and checks each answer against the document's schema for its path, method and status. */
export async function documentedApi(podspaceUrl: string): Promise<{ api: ApiCall; openapi: OpenApi }> {
  const response = await fetch(`${podspaceUrl}/api/v1/openapi.json`);
  expect(response.status).toBe(200);
  const openapi = (await response.json()) as OpenApi;
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  addFormats.default(ajv);
  // The document itself, so that its schemas' references (#/components/schemas/…) resolve within it.
  ajv.addSchema({ $id: "podspace", components: openapi.components });

  const api: ApiCall = async (token, method, route, documented, body, headers = {}) => {
    const response = await fetch(`${podspaceUrl}/api/v1${route}`, {
      method,
      headers: { ...(token ? { Authorization: `Bearer ${token}` } : {}), ...(body ? { "Content-Type": "application/json" } : {}), ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    const json = response.status === 204 ? null : parseJson(text, `${method} ${route} answered ${response.status} with`);
    const described = openapi.paths[documented]?.[method.toLowerCase()]?.responses[String(response.status)];
    expect(described, `${method} ${documented} answers ${response.status}, which the document doesn't describe`).toBeDefined();
    const schema = described!.content?.["application/json"].schema.$ref.replace("#", "podspace#");
    if (schema) {
      const validate = ajv.getSchema(schema)!;
      expect(validate(json), `${method} ${route} ${response.status}: ${JSON.stringify(validate.errors)}`).toBe(true);
    }
    return { status: response.status, headers: response.headers, json: json as Awaited<ReturnType<ApiCall>>["json"] };
  };
  return { api, openapi };
}

function parseJson(text: string, what: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new Error(`${what} a body that isn't JSON: ${JSON.stringify(text.slice(0, 300))}`);
  }
}
