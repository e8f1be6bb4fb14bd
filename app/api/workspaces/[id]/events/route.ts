import { streamSession } from "@/lib/auth/stream-access";
import { sessionMayStill } from "@/lib/auth/websocket-auth";
import { workspaceEventStream } from "@/lib/workspaces/event-stream";

// The workspace page's live view: its Server-Sent Events, for the session
// cookie's user, rechecking that the session still grants access.

const json = (status: number, error: string) => Response.json({ error }, { status, headers: { "Cache-Control": "no-store" } });

export async function GET(request: Request, { params }: { params: Promise<{ id: string }> }): Promise<Response> {
  const session = await streamSession(request);
  if (!session) return json(401, "Sign in to follow this workspace.");
  const { id } = await params;
  const stream = await workspaceEventStream({
    request,
    actor: session.user,
    workspaceId: id,
    stillAllowed: () => sessionMayStill(session.token, "workspace:view", id),
  });
  return stream ?? json(404, "Workspace not found.");
}
