import { claimExecSlot } from "@/lib/api/exec-slots";
import { apiRoute, assertTokenReaches } from "@/lib/api/route";
import { auditWorkspaceCommand, execTarget } from "@/lib/api/v1/exec";
import { downloadTar, uploadTar } from "@/lib/api/v1/files";
import { filesQuery } from "@/lib/api/v1/schemas";

// GET and PUT /api/v1/workspaces/<id>/files?path=…: a file or directory out
// of the running workspace as a tar, and a tar into a directory of it
// (lib/api/v1/files.ts). Each holds one of the token's command slots.

const queryOf = (request: Request) => filesQuery.parse(Object.fromEntries(new URL(request.url).searchParams));

export const GET = apiRoute<{ id: string }>("exec", async ({ request, token, actor, params }) => {
  assertTokenReaches(token, params.id);
  const workspace = await execTarget(actor, params.id);
  const { path } = queryOf(request);
  const release = claimExecSlot(token.id);
  try {
    return await downloadTar(workspace, path, request.signal, release);
  } catch (error) {
    release();
    throw error;
  }
});

export const PUT = apiRoute<{ id: string }>("exec", async ({ request, token, actor, params }) => {
  assertTokenReaches(token, params.id);
  const workspace = await execTarget(actor, params.id);
  const { path } = queryOf(request);
  const release = claimExecSlot(token.id);
  try {
    const bytes = await uploadTar(workspace, path, request);
    await auditWorkspaceCommand(actor, workspace, "workspace.files-uploaded", { path: path.slice(0, 200), bytes: String(bytes) });
    return new Response(null, { status: 204 });
  } finally {
    release();
  }
});
