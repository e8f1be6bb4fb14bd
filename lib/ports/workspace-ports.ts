import type { CurrentUser } from "@/lib/auth/current-user";
import { connectableWorkspace } from "@/lib/auth/websocket-auth";
import { can } from "@/lib/authz";
import { getDb } from "@/lib/db/client";
import { RuntimeError, type WorkspaceRuntime } from "@/lib/runtime/types";
import { templateSpec } from "@/lib/templates/spec";
import { connectResource } from "@/lib/workspaces/access-grants";
import { toRuntimeSpec } from "@/lib/workspaces/runtime-spec";
import { activeLinksOf } from "./port-links";
import { declaredShare, shareCap as capOf } from "./port-policy";
import { fromPortShare, narrowest, type ShareLevel } from "./share-level";
import { portOpenPath, previewHost as configuredPreviewHost, type PreviewHost } from "./preview-host";

// The ports list on a workspace's page: what its processes listen on now,
// and the ports its template declares, listening or not yet.

export interface PortRow {
  port: number;
  /** The process listening on it; null when none does or it can't be told. */
  process: string | null;
  /** The template's name for it. */
  label: string | null;
  listening: boolean;
  /** The preview URL, to copy and share; null when preview URLs are turned off. */
  url: string | null;
  /** Where on Podspace's origin a browser opens it (signed in on the way); null when preview URLs are turned off. */
  openPath: string | null;
  /** Who may open it now, within `shareCap`. */
  share: ShareLevel;
  /** The widest level it may have: its team's cap within the platform's. */
  shareCap: ShareLevel;
  /**
   * Its signed links that are neither revoked nor expired, newest first;
   * null when the viewer may not share the workspace's ports (only its
   * owner may), which is also whether the list offers sharing at all.
   */
  links: PortLinkRow[] | null;
}

/** A signed link in the list, its dates in ISO 8601 as JSON carries them. */
export interface PortLinkRow {
  id: string;
  createdAt: string;
  expiresAt: string;
}

/** The workspace's ports for `user`, who must be able to connect to it; null when they can't (or there is no such workspace). */
export async function listWorkspacePorts(
  user: CurrentUser,
  workspaceId: string,
  options: { runtime: WorkspaceRuntime; previewHost?: PreviewHost | null },
): Promise<PortRow[] | null> {
  const { runtime, previewHost = configuredPreviewHost() } = options;
  const workspace = await connectableWorkspace(user, workspaceId);
  if (!workspace) return null;
  const declared = templateSpec.parse(workspace.templateVersion.spec).ports;
  // Sharing is of preview URLs: without them there is nothing to share.
  const sharer = previewHost !== null && can(user, "workspace:share-port", connectResource(workspace));
  const [chosen, team, links] = await Promise.all([
    getDb().workspacePort.findMany({ where: { workspaceId }, select: { port: true, share: true } }),
    getDb().team.findUniqueOrThrow({ where: { id: workspace.teamId }, select: { maxPortShare: true } }),
    sharer ? activeLinksOf(workspaceId) : [],
  ]);
  const shareCap = capOf({ team });
  const shareOf = (port: number) => {
    const set = chosen.find((row) => row.port === port);
    return narrowest(set ? fromPortShare(set.share) : declaredShare(workspace, port), shareCap);
  };
  const listening = workspace.state === "RUNNING" ? await runtime.listeningPorts(toRuntimeSpec(workspace)).catch(notRunningIsNone) : [];
  const rows = new Map<number, PortRow>();
  const row = (port: number): PortRow => {
    const address = { workspaceId, port };
    return {
      port,
      process: null,
      label: null,
      listening: false,
      url: previewHost && `${previewHost.originOf(address)}/`,
      openPath: previewHost && portOpenPath(address),
      share: shareOf(port),
      shareCap,
      links: sharer
        ? links.filter((link) => link.port === port).map(({ id, createdAt, expiresAt }) => ({ id, createdAt: createdAt.toISOString(), expiresAt: expiresAt.toISOString() }))
        : null,
    };
  };
  for (const { port, label } of declared) rows.set(port, { ...row(port), label });
  for (const { port, process } of listening) rows.set(port, { ...(rows.get(port) ?? row(port)), process, listening: true });
  return [...rows.values()].sort((a, b) => a.port - b.port);
}

function notRunningIsNone(error: unknown): [] {
  if (error instanceof RuntimeError && error.code === "not-running") return [];
  throw error;
}
