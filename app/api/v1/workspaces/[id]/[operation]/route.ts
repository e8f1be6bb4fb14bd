import { z } from "zod";
import { apiRoute, assertTokenReaches, json } from "@/lib/api/route";
import { toApiWorkspace, WORKSPACE_OPERATIONS } from "@/lib/api/v1/schemas";
import { AppError } from "@/lib/errors";
import { getWorkspaceForActor } from "@/lib/workspaces/get-workspace";
import { operateWorkspace } from "@/lib/workspaces/operate-workspace";

const operation = z.enum(WORKSPACE_OPERATIONS);

// POST /api/v1/workspaces/<id>/{start,stop,restart,update,retry}: asks for
// the change and answers at once (202) with the workspace; /events or GET
// follows it from there.
export const POST = apiRoute<{ id: string; operation: string }>("workspaces:write", async ({ actor, token, params }) => {
  assertTokenReaches(token, params.id);
  const parsed = operation.safeParse(params.operation);
  if (!parsed.success) throw new AppError("not_found", `No such operation: ${params.operation}. Use ${WORKSPACE_OPERATIONS.join(", ")}.`);
  await operateWorkspace(actor, { workspaceId: params.id, operation: parsed.data });
  return json(toApiWorkspace(await getWorkspaceForActor(actor, params.id)), 202);
});
