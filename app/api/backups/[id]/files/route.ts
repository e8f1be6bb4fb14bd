import { errorJson, toErrorResponse } from "@/lib/api/errors";
import { getCurrentUser } from "@/lib/auth/current-user";
import { browseBackup } from "@/lib/backups/queries";

// GET /api/backups/<id>/files?path=<folder>: a folder of a backup, for the
// Browse dialog of the workspace and team pages (the signed-in user's
// session; the API's twin is /api/v1/backups/<id>/files).

export async function GET(request: Request, { params }: { params: Promise<{ id: string }> }): Promise<Response> {
  const user = await getCurrentUser();
  if (!user) return errorJson("unauthenticated", "Sign in to browse backups.");
  try {
    const listing = await browseBackup(user, (await params).id, new URL(request.url).searchParams.get("path") ?? "");
    return Response.json(listing, { headers: { "Cache-Control": "no-store" } });
  } catch (error) {
    return toErrorResponse(error);
  }
}
