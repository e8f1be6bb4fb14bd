"use client";

import { WorkspaceTools } from "@/components/workspace/workspace-tools";
import { useWorkspaceLive } from "./workspace-live";

/** The terminal and IDE, following the workspace's live state. */
export function LiveWorkspaceTools({ workspaceId }: { workspaceId: string }) {
  const { workspace } = useWorkspaceLive();
  return <WorkspaceTools workspaceId={workspaceId} running={workspace.state === "RUNNING"} />;
}
