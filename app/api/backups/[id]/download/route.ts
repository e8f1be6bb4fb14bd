import { errorJson, toErrorResponse } from "@/lib/api/errors";
import { getCurrentUser } from "@/lib/auth/current-user";
import { downloadResponse, openBackupDownload } from "@/lib/backups/queries";

// GET /api/backups/<id>/download?path=<file or folder>: streamed out of the
// backup (a folder as a tar), for the Browse dialog's download links.

export async function GET(request: Request, { params }: { params: Promise<{ id: string }> }): Promise<Response> {
  const user = await getCurrentUser();
  if (!user) return errorJson("unauthenticated", "Sign in to download from backups.");
  try {
    const download = await openBackupDownload(user, (await params).id, new URL(request.url).searchParams.get("path") ?? "", {}, request.signal);
    return downloadResponse(download);
  } catch (error) {
    return toErrorResponse(error);
  }
}
