import { z } from "zod";
import { API_ERROR_STATUS } from "@/lib/api/errors";
import { API_SCOPES, SCOPE_DESCRIPTIONS, type ApiScope } from "@/lib/api-tokens/scopes";
import { PODSPACE_VERSION } from "@/lib/version";
import { apiSchemas, backupFilesQuery, deleteWorkspaceQuery, filesQuery, listWorkspacesQuery, teamUsageQuery, WORKSPACE_OPERATIONS } from "./schemas";
import { ONE_TEAM } from "./team-path";

// The OpenAPI 3.1 document of /api/v1, served at /api/v1/openapi.json. Its
// schemas are the zod schemas the routes parse and answer with (schemas.ts);
// the operations below say which route takes and gives which. The API's
// tests check real answers against this document.

interface Operation {
  method: "get" | "post" | "put" | "patch" | "delete";
  path: string;
  summary: string;
  scope: ApiScope;
  query?: z.ZodObject;
  /** The id of its JSON schema in apiSchemas, or a body of another type (a tar). */
  body?: string | RawBody;
  /** Status → the id of its schema in apiSchemas, a body of another type, or null for no body. */
  responses: Record<number, string | RawBody | null>;
  /** Further status codes this operation answers with an Error body. */
  errors?: number[];
  headers?: Array<{ name: string; description: string }>;
}

/** A WebSocket endpoint: a GET with Upgrade: websocket, answered 101 with what goes over the socket, or an Error before it opens. */
const webSocket = (path: string, summary: string, query?: z.ZodObject): Operation => ({
  method: "get",
  path,
  summary: `WebSocket: ${summary}`,
  scope: "exec",
  query,
  responses: { 101: null },
  errors: [404, 409, 422],
});

/** A body that isn't JSON, such as a tar archive. */
interface RawBody {
  contentType: string;
  description: string;
}

const TAR: RawBody = { contentType: "application/x-tar", description: "A tar archive" };

const workspacePath = "/workspaces/{id}";

/** The terminal socket's query, as lib/terminal/route.ts reads it. */
const terminalQuery = z.object({
  session: z.string().optional().describe("A session to attach to again (1-64 letters, digits, - or _); without it, a new one, named in the ready message"),
  cols: z.number().int().min(1).max(1000).optional().describe("The terminal's width (default 80)"),
  rows: z.number().int().min(1).max(1000).optional().describe("Its height (default 24)"),
});

export const API_OPERATIONS: Operation[] = [
  { method: "get", path: "/templates", summary: "The template catalog", scope: "read", responses: { 200: "TemplateList" } },
  {
    method: "get",
    path: "/workspaces",
    summary: "A page of workspaces, newest first",
    scope: "read",
    query: listWorkspacesQuery,
    responses: { 200: "WorkspacePage" },
    errors: [422],
  },
  {
    method: "post",
    path: "/workspaces",
    summary: "Create a workspace and start it (?wait=ready streams NDJSON progress until it runs)",
    scope: "workspaces:write",
    body: "CreateWorkspace",
    responses: { 201: "Workspace", 200: "Workspace" },
    errors: [404, 409, 422],
    headers: [{ name: "Idempotency-Key", description: "The same key again returns the workspace the first request created (200)" }],
  },
  { method: "get", path: workspacePath, summary: "One workspace", scope: "read", responses: { 200: "Workspace" }, errors: [404] },
  {
    method: "patch",
    path: workspacePath,
    summary: "Change its resources and parameters (a running one restarts)",
    scope: "workspaces:write",
    body: "ChangeSettings",
    responses: { 200: "SettingsChange" },
    errors: [404, 409, 422],
  },
  {
    method: "delete",
    path: workspacePath,
    summary: "Delete it and its home volume, after a final backup when backups are on",
    scope: "workspaces:write",
    query: deleteWorkspaceQuery,
    responses: { 202: "Workspace" },
    errors: [404, 409, 422],
  },
  ...WORKSPACE_OPERATIONS.map(
    (operation): Operation => ({
      method: "post",
      path: `${workspacePath}/${operation}`,
      summary: `${operation[0]!.toUpperCase()}${operation.slice(1)} it`,
      scope: "workspaces:write",
      responses: { 202: "Workspace" },
      errors: [404, 409],
    }),
  ),
  {
    method: "get",
    path: `${workspacePath}/events`,
    summary: "Server-Sent Events: its state, then each event and change as it happens",
    scope: "read",
    responses: { 200: null },
    errors: [404],
  },
  {
    method: "post",
    path: `${workspacePath}/exec`,
    summary:
      "Run a command in the running workspace, as its user; answers when it has ended. A WebSocket upgrade at the same path streams it instead: send an ExecSocketStart, get {type:stdout|stderr,data} messages and a last {type:exit,exitCode,timedOut}",
    scope: "exec",
    body: "ExecRequest",
    responses: { 200: "ExecResult" },
    errors: [404, 409, 422],
  },
  {
    method: "get",
    path: `${workspacePath}/files`,
    summary: "A file, or a directory's contents, as a tar archive made in the workspace by its user",
    scope: "exec",
    query: filesQuery,
    responses: { 200: TAR },
    errors: [404, 409, 422],
  },
  {
    method: "put",
    path: `${workspacePath}/files`,
    summary: "Unpack a tar archive into a directory of the workspace (made when missing), as its user; at most PODSPACE_API_MAX_UPLOAD_MB",
    scope: "exec",
    query: filesQuery,
    body: TAR,
    responses: { 204: null },
    errors: [404, 409, 413, 422],
  },
  webSocket(
    `${workspacePath}/terminal`,
    "the workspace's terminal (what podspace ssh opens), the browser's protocol: binary frames carry the terminal's bytes both ways; text frames carry JSON control messages (client: {type:resize,cols,rows}, {type:close}; server: {type:ready,session,replayed}, {type:exit,code})",
    terminalQuery,
  ),
  webSocket(
    `${workspacePath}/ports/{port}/forward`,
    "a TCP connection to the port in the workspace (what podspace port-forward opens): binary frames carry its bytes both ways; refused with 409 when nothing listens there",
  ),
  { method: "get", path: `${workspacePath}/backups`, summary: "Its backups, newest first", scope: "read", responses: { 200: "BackupList" }, errors: [404] },
  {
    method: "post",
    path: `${workspacePath}/backups`,
    summary: "Back its home up now; a backup already queued or running is answered instead of a second",
    scope: "workspaces:write",
    responses: { 202: "Backup" },
    errors: [404, 422],
  },
  {
    method: "get",
    path: "/backups/{id}/files",
    summary: "A folder of a succeeded backup: its direct children",
    scope: "read",
    query: backupFilesQuery,
    responses: { 200: "BackupFiles" },
    errors: [404, 422],
  },
  {
    method: "get",
    path: "/backups/{id}/download",
    summary: "A file of a succeeded backup as itself, or a folder as a tar archive, streamed",
    scope: "exec",
    query: backupFilesQuery,
    responses: { 200: { contentType: "application/octet-stream", description: "The file, or the folder as a tar (application/x-tar), as an attachment" } },
    errors: [404, 422],
  },
  {
    method: "get",
    path: "/teams/{team}/quota",
    summary: "The team's quotas as its Quotas page shows them: each limit, what is in use against it, and the monthly CPU budget",
    scope: "read",
    responses: { 200: "TeamQuota" },
    errors: [404, 422],
  },
  {
    method: "get",
    path: "/teams/{team}/usage",
    summary: "The team's usage as its Usage page shows it, over a period: totals, a series per day and user or template, the top workspaces",
    scope: "read",
    query: teamUsageQuery,
    responses: { 200: "UsageReport" },
    errors: [404, 422],
  },
  { method: "get", path: "/tokens", summary: "Your API tokens in force", scope: "read", responses: { 200: "TokenList" } },
  { method: "post", path: "/tokens", summary: "Create a token; its secret is in this answer only", scope: "tokens:write", body: "CreateToken", responses: { 201: "CreatedToken" }, errors: [403, 409, 422] },
  { method: "delete", path: "/tokens/{id}", summary: "Revoke a token", scope: "tokens:write", responses: { 204: null }, errors: [404] },
];

/** Every operation may answer these. */
const COMMON_ERRORS = [401, 403, 429, 503];

const ref = (id: string) => ({ $ref: `#/components/schemas/${id}` });

function queryParameters(query: z.ZodObject) {
  const schema = z.toJSONSchema(query, { io: "input" }) as { properties?: Record<string, { description?: string }> };
  return Object.entries(schema.properties ?? {}).map(([name, property]) => ({ name, in: "query", required: false, description: property.description, schema: property }));
}

function operationObject(operation: Operation) {
  // A body may be too large (413), however well formed.
  const errorStatuses = [...new Set([...COMMON_ERRORS, ...(operation.body ? [413] : []), ...(operation.errors ?? [])])].filter((status) => !(status in operation.responses));
  return {
    summary: operation.summary,
    description: `Needs a token with the \`${operation.scope}\` scope.`,
    security: [{ bearer: [operation.scope] }],
    parameters: [
      ...(operation.path.includes("{id}") ? [{ name: "id", in: "path", required: true, schema: { type: "string" } }] : []),
      ...(operation.path.includes("{team}")
        ? [{ name: "team", in: "path", required: true, description: `The team's slug; ${ONE_TEAM} for the one team the token reaches`, schema: { type: "string" } }]
        : []),
      ...(operation.path.includes("{port}") ? [{ name: "port", in: "path", required: true, schema: { type: "integer", minimum: 1, maximum: 65535 } }] : []),
      ...(operation.query ? queryParameters(operation.query) : []),
      ...(operation.headers ?? []).map(({ name, description }) => ({ name, in: "header", required: false, description, schema: { type: "string" } })),
    ],
    ...(operation.body ? { requestBody: { required: true, content: content(operation.body) } } : {}),
    responses: Object.fromEntries([
      ...Object.entries(operation.responses).map(([status, body]) => [
        status,
        body === null ? { description: status === "101" ? "Switching Protocols: the WebSocket is open" : "No body" } : { description: typeof body === "string" ? body : body.description, content: content(body) },
      ]),
      ...errorStatuses.map((status) => [String(status), { description: errorDescription(status), content: { "application/json": { schema: ref("Error") } } }]),
    ]),
  };
}

function content(body: string | RawBody) {
  return typeof body === "string" ? { "application/json": { schema: ref(body) } } : { [body.contentType]: { schema: { type: "string", contentMediaType: body.contentType } } };
}

function errorDescription(status: number): string {
  return Object.entries(API_ERROR_STATUS)
    .filter(([, code]) => code === status)
    .map(([name]) => name)
    .join(", ");
}

/** A component schema as OpenAPI wants it: without the $schema and $id zod gives a standalone one. */
function withoutSchemaKeywords(schema: Record<string, unknown>) {
  const component = { ...schema };
  delete component.$schema;
  delete component.$id;
  return component;
}

export function openApiDocument(serverUrl: string) {
  // As requests are sent: bodies parse with transforms (a blank repository URL becomes none), which describe their input.
  const { schemas } = z.toJSONSchema(apiSchemas, { io: "input", uri: (id) => `#/components/schemas/${id}` }) as { schemas: Record<string, Record<string, unknown>> };
  const paths: Record<string, Record<string, unknown>> = {};
  for (const operation of API_OPERATIONS) (paths[operation.path] ??= {})[operation.method] = operationObject(operation);
  return {
    openapi: "3.1.0",
    info: { title: "Podspace API", version: PODSPACE_VERSION },
    servers: [{ url: `${serverUrl}/api/v1` }],
    components: {
      securitySchemes: {
        bearer: {
          type: "http",
          scheme: "bearer",
          description: `An API token from the Tokens page. Scopes: ${API_SCOPES.map((scope) => `${scope} (${SCOPE_DESCRIPTIONS[scope]})`).join("; ")}.`,
        },
      },
      schemas: Object.fromEntries(Object.entries(schemas).map(([id, schema]) => [id, withoutSchemaKeywords(schema)])),
    },
    paths,
  };
}
