import { getCurrentUser } from "@/lib/auth/current-user";
import { listWorkspacePorts } from "@/lib/ports/workspace-ports";
import { getRuntime } from "@/lib/runtime/runtime";

// GET /api/workspaces/<id>/ports: the workspace's ports list, which its page
// asks for every few seconds while it is open. Only for those who may
// connect to the workspace (its owner, holders of an access grant).

const json = (status: number, body: unknown) => Response.json(body, { status, headers: { "Cache-Control": "no-store" } });

export async function GET(_request: Request, { params }: { params: Promise<{ id: string }> }): Promise<Response> {
  const user = await getCurrentUser();
  if (!user) return json(401, { error: "Sign in to see this workspace's ports." });
  const ports = await listWorkspacePorts(user, (await params).id, { runtime: await getRuntime() });
  if (!ports) return json(404, { error: "Workspace not found." });
  return json(200, { ports });
}
