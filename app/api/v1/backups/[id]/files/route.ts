import { tokenReaches } from "@/lib/api-tokens/tokens";
import { apiRoute, json } from "@/lib/api/route";
import { backupFiles } from "@/lib/api/v1/schemas";
import { browseBackup } from "@/lib/backups/queries";

// GET /api/v1/backups/<id>/files?path=<folder>: a folder of the backup's snapshot, its direct children.
export const GET = apiRoute<{ id: string }>("read", async ({ request, actor, token, params }) => {
  const reaches = (workspaceId: string) => tokenReaches(token, workspaceId);
  // The path is validated (backupFilesQuery, as documented) once the backup is known to be readable.
  const listing = await browseBackup(actor, params.id, new URL(request.url).searchParams.get("path") ?? "", { reaches });
  return json(backupFiles.parse(listing));
});
