import { tokenReaches, type AuthenticatedToken } from "@/lib/api-tokens/tokens";
import { apiRoute } from "@/lib/api/route";
import { tokenInForce } from "@/lib/api/v1/socket-auth";
import { downloadResponse, openBackupDownload } from "@/lib/backups/queries";

// GET /api/v1/backups/<id>/download?path=<file or folder>: streamed out of the
// backup's snapshot, a folder as a tar. Copying files out needs the exec scope,
// as from a running workspace. A long download stops once the token is
// revoked or expires, or its owner may no longer read the backup.
export const GET = apiRoute<{ id: string }>("exec", async ({ request, actor, token, params }) => {
  const reachOf = (holder: AuthenticatedToken) => ({ reaches: (workspaceId: string) => tokenReaches(holder, workspaceId) });
  const requester = async () => {
    const now = await tokenInForce(token.secret, "exec");
    return now && { actor: now.actor, ...reachOf(now) };
  };
  const path = new URL(request.url).searchParams.get("path") ?? "";
  return downloadResponse(await openBackupDownload(actor, params.id, path, { reach: reachOf(token), signal: request.signal, requester }));
});
