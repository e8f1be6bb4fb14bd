import { apiRoute, assertTokenReaches, json, readJson } from "@/lib/api/route";
import { changeSettingsBody, deleteWorkspaceQuery, settingsResult, toApiWorkspace } from "@/lib/api/v1/schemas";
import { changeWorkspaceSettings } from "@/lib/workspaces/change-settings";
import { getWorkspaceForActor } from "@/lib/workspaces/get-workspace";
import { operateWorkspace } from "@/lib/workspaces/operate-workspace";

type Params = { id: string };

// GET /api/v1/workspaces/<id>
export const GET = apiRoute<Params>("read", async ({ actor, token, params }) => {
  assertTokenReaches(token, params.id);
  return json(toApiWorkspace(await getWorkspaceForActor(actor, params.id)));
});

// PATCH /api/v1/workspaces/<id>: its resources and parameters; a running one restarts to apply them.
export const PATCH = apiRoute<Params>("workspaces:write", async ({ request, actor, token, params }) => {
  assertTokenReaches(token, params.id);
  const body = await readJson(request, changeSettingsBody);
  return json(settingsResult.parse(await changeWorkspaceSettings(actor, { workspaceId: params.id, parameters: body.parameters })));
});

// DELETE /api/v1/workspaces/<id>: deletes it and its home volume (202: the deletion goes on after the answer);
// ?finalBackup=skip goes on without the final backup that keeps failing.
export const DELETE = apiRoute<Params>("workspaces:write", async ({ request, actor, token, params }) => {
  assertTokenReaches(token, params.id);
  const query = deleteWorkspaceQuery.parse(Object.fromEntries(new URL(request.url).searchParams));
  const workspace = await getWorkspaceForActor(actor, params.id);
  // The page asks for the name typed out; the API's caller named the id already.
  const operation = query.finalBackup === "skip" ? "delete-without-backup" : "delete";
  await operateWorkspace(actor, { workspaceId: params.id, operation, confirmName: workspace.name });
  return json(toApiWorkspace(await getWorkspaceForActor(actor, params.id)), 202);
});
