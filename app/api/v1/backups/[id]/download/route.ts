import { tokenReaches } from "@/lib/api-tokens/tokens";
import { apiRoute } from "@/lib/api/route";
import { downloadResponse, openBackupDownload } from "@/lib/backups/queries";

// GET /api/v1/backups/<id>/download?path=<file or folder>: streamed out of the
// backup's snapshot, a folder as a tar. Copying files out needs the exec scope,
// as from a running workspace.
export const GET = apiRoute<{ id: string }>("exec", async ({ request, actor, token, params }) => {
  const reaches = (workspaceId: string) => tokenReaches(token, workspaceId);
  const path = new URL(request.url).searchParams.get("path") ?? "";
  return downloadResponse(await openBackupDownload(actor, params.id, path, { reaches }, request.signal));
});
