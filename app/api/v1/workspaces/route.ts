import { z } from "zod";
import { inBodyTerms } from "@/lib/api/errors";
import { apiRoute, json, readJson } from "@/lib/api/route";
import { apiWorkspacePage, createWorkspaceBody, listWorkspacesQuery, toApiWorkspace } from "@/lib/api/v1/schemas";
import { teamIdFromSlug } from "@/lib/api/v1/teams";
import { readinessStream } from "@/lib/api/v1/wait-ready";
import { newestFirstCursor } from "@/lib/pagination/newest-first";
import { createWorkspace } from "@/lib/workspaces/create-workspace";
import { getWorkspaceForActor } from "@/lib/workspaces/get-workspace";
import { listWorkspacesFor } from "@/lib/workspaces/list-workspaces";

const idempotencyKey = z.string().trim().min(1).max(200, { error: "An Idempotency-Key is at most 200 characters." }).optional();

// GET /api/v1/workspaces: a page of your workspaces (or, with scope=team, the teams' you look after), newest first.
export const GET = apiRoute("read", async ({ request, actor, token }) => {
  const query = listWorkspacesQuery.parse(Object.fromEntries(new URL(request.url).searchParams));
  const page = await listWorkspacesFor(actor, {
    scope: query.scope,
    teamId: query.team === undefined ? undefined : await teamIdFromSlug(actor, query.team),
    q: query.q,
    state: query.state,
    cursor: newestFirstCursor.parse(query.cursor),
    ids: token.workspaceIds.length > 0 ? token.workspaceIds : undefined,
  });
  return json(apiWorkspacePage.parse({ workspaces: page.items.map(toApiWorkspace), total: page.total, nextCursor: page.next }));
});

// POST /api/v1/workspaces: creates one and starts it; ?wait=ready streams its progress until it runs.
export const POST = apiRoute("workspaces:write", async ({ request, actor }) => {
  const key = idempotencyKey.parse(request.headers.get("idempotency-key") ?? undefined);
  const body = await readJson(request, createWorkspaceBody);
  const { id, created } = await createWorkspace(
    actor,
    {
      name: body.name,
      teamId: await teamIdFromSlug(actor, body.team),
      templateSlug: body.template,
      gitRepository: body.gitRepository,
      parameters: body.parameters,
      restoreFrom: body.restoreFrom,
    },
    { idempotencyKey: key },
  ).catch(inBodyTerms({ templateSlug: "template", teamId: "team" }));
  const status = created ? 201 : 200;
  if (new URL(request.url).searchParams.get("wait") === "ready") return readinessStream(actor, id, request, status);
  return json(toApiWorkspace(await getWorkspaceForActor(actor, id)), status, { Location: `/api/v1/workspaces/${id}` });
});
