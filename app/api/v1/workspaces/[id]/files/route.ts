import { claimExecSlot } from "@/lib/api/exec-slots";
import { apiRoute, assertTokenReaches } from "@/lib/api/route";
import { auditWorkspaceCommand, execTarget } from "@/lib/api/v1/exec";
import { downloadTar, uploadTar } from "@/lib/api/v1/files";
import { filesQuery } from "@/lib/api/v1/schemas";
import { watchToken } from "@/lib/api/v1/token-watch";

// GET and PUT /api/v1/workspaces/<id>/files?path=…: a file or directory out
// of the running workspace as a tar, and a tar into a directory of it
// (lib/api/v1/files.ts). Each holds one of the token's command slots, and
// stops when the token is revoked (lib/api/v1/token-watch.ts).

const queryOf = (request: Request) => filesQuery.parse(Object.fromEntries(new URL(request.url).searchParams));

export const GET = apiRoute<{ id: string }>("exec", async ({ request, token, actor, params }) => {
  assertTokenReaches(token, params.id);
  const workspace = await execTarget(actor, params.id);
  const { path } = queryOf(request);
  const release = claimExecSlot(token.id);
  const watch = watchToken(request, token.secret, workspace.id);
  const done = () => {
    watch.end();
    release();
  };
  try {
    return await downloadTar(workspace, path, watch.signal, done);
  } catch (error) {
    done();
    throw error;
  }
});

export const PUT = apiRoute<{ id: string }>("exec", async ({ request, token, actor, params }) => {
  assertTokenReaches(token, params.id);
  const workspace = await execTarget(actor, params.id);
  const { path } = queryOf(request);
  const release = claimExecSlot(token.id);
  const watch = watchToken(request, token.secret, workspace.id);
  try {
    const bytes = await uploadTar(workspace, path, request, watch.signal).catch((error: unknown) => {
      // tar killed midway fails as a bad archive would: say why it was killed.
      watch.throwIfRevoked();
      throw error;
    });
    await auditWorkspaceCommand(actor, workspace, "workspace.files-uploaded", { path: path.slice(0, 200), bytes: String(bytes) });
    return new Response(null, { status: 204 });
  } finally {
    watch.end();
    release();
  }
});
