import { errorJson, toErrorResponse } from "@/lib/api/errors";
import { streamSession } from "@/lib/auth/stream-access";
import { userForToken } from "@/lib/auth/websocket-auth";
import { downloadResponse, openBackupDownload } from "@/lib/backups/queries";

// GET /api/backups/<id>/download?path=<file or folder>: streamed out of the
// backup (a folder as a tar), for the Browse dialog's download links. A long
// download keeps checking the session behind its cookie: it stops once the
// user is signed out or may no longer read the backup.

export async function GET(request: Request, { params }: { params: Promise<{ id: string }> }): Promise<Response> {
  const session = await streamSession(request);
  if (!session) return errorJson("unauthenticated", "Sign in to download from backups.");
  const requester = async () => {
    const user = await userForToken(session.token);
    return user && { actor: user };
  };
  try {
    const path = new URL(request.url).searchParams.get("path") ?? "";
    return downloadResponse(await openBackupDownload(session.user, (await params).id, path, { signal: request.signal, requester }));
  } catch (error) {
    return toErrorResponse(error);
  }
}
