import { getDb } from "@/lib/db/client";
import type { Replica } from "@/lib/server/replica";

// Which replica holds each terminal session's shell (table TerminalSession).
// A shell lives in the process that opened it, so a browser reconnecting
// through another replica must be forwarded there (./forward.ts): this is
// how that replica is found.

export interface SessionKey {
  workspaceId: string;
  userId: string;
  sessionId: string;
}

export interface SessionOwner {
  replicaId: string;
  replicaUrl: string;
}

export async function sessionOwner(key: SessionKey): Promise<SessionOwner | null> {
  return getDb().terminalSession.findUnique({
    where: { workspaceId_userId_sessionId: key },
    select: { replicaId: true, replicaUrl: true },
  });
}

/** Records that `replica` holds the session now. */
export async function claimSession(key: SessionKey, replica: Replica): Promise<void> {
  const owner = { replicaId: replica.id, replicaUrl: replica.internalUrl };
  await getDb().terminalSession.upsert({ where: { workspaceId_userId_sessionId: key }, create: { ...key, ...owner }, update: owner });
}

/** Forgets the session, if `replicaId` still holds it (another may have claimed it since). */
export async function releaseSession(key: SessionKey, replicaId: string): Promise<void> {
  await getDb().terminalSession.deleteMany({ where: { ...key, replicaId } });
}
