import { createHmac, hkdfSync, timingSafeEqual } from "node:crypto";
import { loadCurrentUser } from "@/lib/auth/current-user";
import { getDb } from "@/lib/db/client";
import { env } from "@/lib/env";

// The AI key a workspace finds in its environment (OPENAI_API_KEY,
// ANTHROPIC_API_KEY): good for that workspace's current run only, and for
// nothing but the AI gateway. It is the workspace's id and its latest start,
// signed with a key derived from AUTH_SECRET, so it needs no row and every
// terminal and exec (whose environment is built afresh from the workspace)
// gets the same one. It stops working when the workspace is started again (a
// new start, a new token), stops or is deleted, and when its owner is
// deactivated or leaves its team: each request checks all of that.

export const WORKSPACE_AI_TOKEN_PREFIX = "pdsai_";

/** States in which a workspace's processes run, and so may use its token. */
const RUNNING_STATES = new Set(["STARTING", "RUNNING"]);

let derivedKey: Buffer | undefined;
/** Derived once: every gateway request from a workspace checks its token with it. */
function signingKey(): Buffer {
  if (!env.AUTH_SECRET) throw new Error("AUTH_SECRET is unset: workspace AI tokens can't be signed");
  return (derivedKey ??= Buffer.from(hkdfSync("sha256", env.AUTH_SECRET, "", "podspace workspace ai token", 32)));
}

const signatureOf = (payload: string) => createHmac("sha256", signingKey()).update(payload).digest("base64url");

/** What the token is bound to: the start it was issued for. */
const startOf = (workspace: { startRequestedAt: Date | null; createdAt: Date }) => (workspace.startRequestedAt ?? workspace.createdAt).getTime().toString(36);

export function workspaceAiToken(workspace: { id: string; startRequestedAt: Date | null; createdAt: Date }): string {
  const payload = `${workspace.id}.${startOf(workspace)}`;
  return `${WORKSPACE_AI_TOKEN_PREFIX}${payload}.${signatureOf(payload)}`;
}

export interface WorkspaceCaller {
  workspaceId: string;
  teamId: string;
  userId: string;
}

/** The workspace a token was issued to, if it is still good (see above); null for anything else. */
export async function verifyWorkspaceAiToken(token: string): Promise<WorkspaceCaller | null> {
  if (!token.startsWith(WORKSPACE_AI_TOKEN_PREFIX)) return null;
  const [workspaceId, start, signature] = token.slice(WORKSPACE_AI_TOKEN_PREFIX.length).split(".");
  if (!workspaceId || !start || !signature) return null;
  const expected = Buffer.from(signatureOf(`${workspaceId}.${start}`));
  const given = Buffer.from(signature);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null;
  const workspace = await getDb().workspace.findUnique({
    where: { id: workspaceId },
    select: { id: true, teamId: true, ownerId: true, state: true, deletedAt: true, startRequestedAt: true, createdAt: true },
  });
  if (!workspace || workspace.deletedAt || !RUNNING_STATES.has(workspace.state) || startOf(workspace) !== start) return null;
  const owner = await loadCurrentUser(workspace.ownerId);
  if (!owner?.teams.some((team) => team.id === workspace.teamId)) return null;
  return { workspaceId: workspace.id, teamId: workspace.teamId, userId: owner.id };
}
