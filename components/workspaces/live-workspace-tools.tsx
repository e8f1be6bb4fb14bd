"use client";

import { WorkspaceTools } from "@/components/workspace/workspace-tools";
import { ideStatus, terminalUnavailable } from "./progress";
import { useWorkspaceLive } from "./workspace-live";

/** The terminal and IDE, following the workspace's live state and the IDE's own progress. */
export function LiveWorkspaceTools({ workspaceId }: { workspaceId: string }) {
  const { workspace, events } = useWorkspaceLive();
  return <WorkspaceTools workspaceId={workspaceId} terminalUnavailable={terminalUnavailable(workspace)} ide={ideStatus(workspace, events)} />;
}
