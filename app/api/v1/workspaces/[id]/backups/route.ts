import { apiRoute, assertTokenReaches, json } from "@/lib/api/route";
import { backupList, toApiBackup } from "@/lib/api/v1/schemas";
import { listWorkspaceBackups } from "@/lib/backups/queries";
import { requestBackup } from "@/lib/backups/request-backup";

type Params = { id: string };

// GET /api/v1/workspaces/<id>/backups: its backups, newest first (its owner's, and its team owners' and admins').
export const GET = apiRoute<Params>("read", async ({ actor, token, params }) => {
  assertTokenReaches(token, params.id);
  return json(backupList.parse({ backups: (await listWorkspaceBackups(actor, params.id)).map(toApiBackup) }));
});

// POST /api/v1/workspaces/<id>/backups: back it up now (202: the backup runs after the answer; one under way is answered instead).
export const POST = apiRoute<Params>("workspaces:write", async ({ actor, token, params }) => {
  assertTokenReaches(token, params.id);
  const { id } = await requestBackup(actor, params.id);
  const backup = (await listWorkspaceBackups(actor, params.id)).find((candidate) => candidate.id === id)!;
  return json(toApiBackup(backup), 202, { Location: `/api/v1/workspaces/${params.id}/backups` });
});
