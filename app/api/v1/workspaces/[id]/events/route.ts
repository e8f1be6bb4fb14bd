import { authenticateApiToken, tokenReaches } from "@/lib/api-tokens/tokens";
import { errorJson } from "@/lib/api/errors";
import { apiRoute, assertTokenReaches } from "@/lib/api/route";
import { can } from "@/lib/authz";
import { getDb } from "@/lib/db/client";
import { workspaceEventStream } from "@/lib/workspaces/event-stream";

// GET /api/v1/workspaces/<id>/events: Server-Sent Events (state, then each
// event and change as it happens). The stream ends once the token is revoked
// or expires, or its owner loses access.
export const GET = apiRoute<{ id: string }>("read", async ({ request, token, actor, params }) => {
  assertTokenReaches(token, params.id);
  const secret = request.headers.get("authorization")!.split(" ")[1]!;
  const stillAllowed = async () => {
    const now = await authenticateApiToken(secret);
    if (!now || !tokenReaches(now, params.id)) return false;
    const workspace = await getDb().workspace.findUnique({ where: { id: params.id }, select: { teamId: true, ownerId: true } });
    return workspace !== null && can(now.actor, "workspace:view", workspace);
  };
  const stream = await workspaceEventStream({ request, actor, workspaceId: params.id, stillAllowed });
  return stream ?? errorJson("not_found", "Workspace not found.");
});
