import type { CurrentUser } from "@/lib/auth/current-user";
import { connectableWorkspace, userForToken } from "@/lib/auth/websocket-auth";
import type { WorkspaceForRuntime } from "@/lib/workspaces/runtime-spec";

// Who a session token is and whether they may connect to a workspace,
// remembered for a few seconds per token and workspace: loading an IDE or an
// app through a proxy is a hundred requests, and each would otherwise read
// the session, the user and the workspace again.

export type Authorization = { user: null; workspace: null } | { user: CurrentUser; workspace: WorkspaceForRuntime | null };

export function createCachedAuthorization(intervalMs: number): (token: string, workspaceId: string) => Promise<Authorization> {
  const authorized = new Map<string, { at: number; user: CurrentUser; workspace: WorkspaceForRuntime }>();
  return async (token, workspaceId) => {
    const key = `${token}\0${workspaceId}`;
    const cached = authorized.get(key);
    if (cached && Date.now() - cached.at < intervalMs) return cached;
    authorized.delete(key);
    if (authorized.size > 10_000) {
      for (const [other, entry] of authorized) if (Date.now() - entry.at >= intervalMs) authorized.delete(other);
    }
    const user = await userForToken(token);
    if (!user) return { user: null, workspace: null };
    const workspace = await connectableWorkspace(user, workspaceId);
    if (!workspace) return { user, workspace: null };
    const entry = { at: Date.now(), user, workspace };
    authorized.set(key, entry);
    return entry;
  };
}
