import type { CurrentUser } from "@/lib/auth/current-user";
import { connectableWorkspace, userForToken } from "@/lib/auth/websocket-auth";
import { createExpiringCache } from "@/lib/server/expiring-cache";
import type { WorkspaceForRuntime } from "@/lib/workspaces/runtime-spec";

// Who a session token is and whether they may connect to a workspace,
// remembered for a few seconds per token and workspace: loading an IDE
// through a proxy is a hundred requests, and each would otherwise read the
// session, the user and the workspace again. Refusals aren't remembered.

export type Authorization = { user: null; workspace: null } | { user: CurrentUser; workspace: WorkspaceForRuntime | null };

export function createCachedAuthorization(intervalMs: number): (token: string, workspaceId: string) => Promise<Authorization> {
  const cached = createExpiringCache<{ token: string; workspaceId: string }, Authorization>({
    ttlMs: intervalMs,
    keyOf: ({ token, workspaceId }) => `${token}\0${workspaceId}`,
    async load({ token, workspaceId }) {
      const user = await userForToken(token);
      if (!user) return { user: null, workspace: null };
      return { user, workspace: await connectableWorkspace(user, workspaceId) };
    },
    keep: ({ workspace }) => workspace !== null,
  });
  return (token, workspaceId) => cached({ token, workspaceId });
}
