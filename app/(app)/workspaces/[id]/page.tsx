import { cache } from "react";
import type { Metadata } from "next";
import { notFound } from "next/navigation";

import { Badge } from "@/components/ui/badge";
import {
  LiveActions,
  LiveEventLog,
  LiveFailure,
  LiveFinalBackupFailed,
  LiveGone,
  LiveIndicator,
  LiveProgress,
  LiveStateBadge,
  LiveUptime,
  WorkspaceLiveProvider,
} from "@/components/workspaces/workspace-live";
import { AccessGrantList, AdminAccessDialog } from "@/components/workspaces/access-grants";
import { LiveWorkspaceTools } from "@/components/workspaces/live-workspace-tools";
import { PortsList } from "@/components/workspaces/ports-list";
import { ResumeOnOpen } from "@/components/workspaces/resume-on-open";
import { SettingsDialog } from "@/components/workspaces/settings-dialog";
import { formatResources, updateOffer } from "@/components/workspaces/workspace-format";
import { WorkspaceBackups } from "@/components/workspaces/workspace-backups";
import { requireUser } from "@/lib/auth/current-user";
import { can } from "@/lib/authz";
import { listWorkspaceBackups } from "@/lib/backups/queries";
import { backupStore } from "@/lib/backups/store";
import { AppError } from "@/lib/errors";
import { lifecycleNotice } from "@/lib/workspaces/lifecycle-notice";
import { resumesOnOpen } from "@/lib/workspaces/resume-on-open";
import { getWorkspaceForActor, toStateView, type WorkspaceDetail } from "@/lib/workspaces/get-workspace";
import { previewHost } from "@/lib/ports/preview-host";
import { BackLink } from "@/components/ui/back-link";

type WorkspacePageProps = { params: Promise<{ id: string }> };

// Shared by the metadata and the page within one request; null when out of reach.
const workspaceForRequest = cache(async (id: string): Promise<WorkspaceDetail | null> => {
  try {
    return await getWorkspaceForActor(await requireUser(), id);
  } catch (error) {
    if (error instanceof AppError && error.code === "not_found") return null;
    throw error;
  }
});

export async function generateMetadata({ params }: WorkspacePageProps): Promise<Metadata> {
  const workspace = await workspaceForRequest((await params).id);
  return { title: workspace?.name ?? "Workspace" };
}

function Detail({ term, children }: { term: string; children: React.ReactNode }) {
  return (
    <div className="flex flex-col gap-0.5">
      <dt className="text-xs font-medium text-muted-foreground">{term}</dt>
      <dd className="text-sm">{children}</dd>
    </div>
  );
}

export default async function WorkspacePage({ params }: WorkspacePageProps) {
  const workspace = await workspaceForRequest((await params).id);
  if (!workspace) notFound();
  const user = await requireUser();
  const { template } = workspace;
  const notice = await lifecycleNotice(workspace.id);
  // Only its owner's visit starts it: an admin with access who needs it running presses Start.
  const ownerVisits = workspace.canConnect && workspace.owner.id === user.id;
  const resumes =
    ownerVisits && workspace.state === "STOPPED" && workspace.desiredState === "STOPPED" && (await resumesOnOpen({ id: workspace.id, ownerId: workspace.owner.id }));
  const backupsOn = backupStore() !== null;
  // Its owner's and the team's owners' and admins'; nothing to show where backups are off and none were taken.
  const backups = can(user, "workspace:read-backups", { teamId: workspace.team.id, ownerId: workspace.owner.id }) ? await listWorkspaceBackups(user, workspace.id) : null;

  return (
    <WorkspaceLiveProvider workspaceId={workspace.id} initialState={toStateView(workspace)} initialEvents={workspace.events}>
      <div className="flex flex-col gap-8">
        <header className="flex flex-col gap-4">
          <BackLink href="/workspaces">Workspaces</BackLink>
          <div className="flex flex-wrap items-start justify-between gap-4">
            <div className="flex flex-wrap items-center gap-3">
              <h1 className="font-mono text-2xl font-semibold tracking-tight">{workspace.name}</h1>
              <LiveStateBadge />
              <LiveIndicator />
            </div>
            <div className="flex flex-wrap items-center gap-2">
              {workspace.canOperate && workspace.settings && workspace.desiredState !== "DELETED" ? (
                <SettingsDialog
                  workspace={{ id: workspace.id, name: workspace.name, running: workspace.desiredState === "RUNNING" }}
                  settings={workspace.settings}
                />
              ) : null}
              <LiveActions workspace={{ id: workspace.id, name: workspace.name }} canOperate={workspace.canOperate} update={updateOffer(template)} />
            </div>
          </div>
          <dl className="grid grid-cols-2 gap-x-6 gap-y-3 sm:grid-cols-3 lg:grid-cols-6">
            <Detail term="Template">
              <span className="inline-flex flex-wrap items-center gap-1.5">
                {template.name} v{template.version}
                {template.latestVersion > template.version ? <Badge variant="warning">v{template.latestVersion} available</Badge> : null}
              </span>
            </Detail>
            <Detail term="Resources">{formatResources(workspace.resources)}</Detail>
            <Detail term="Owner">{workspace.owner.name ?? workspace.owner.email}</Detail>
            <Detail term="Team">{workspace.team.name}</Detail>
            <Detail term="Uptime">
              <LiveUptime />
            </Detail>
            {workspace.warmPool ? (
              <Detail term="Start">{workspace.warmPool.claimed ? <Badge variant="success">From the warm pool</Badge> : workspace.warmPool.message}</Detail>
            ) : null}
            {notice.idleMinutesLeft !== null ? (
              <Detail term="Auto-stop">Stops in {notice.idleMinutesLeft} min unless active</Detail>
            ) : null}
            {workspace.gitRepository ? (
              <Detail term="Repository">
                <span className="font-mono text-xs break-all">{workspace.gitRepository}</span>
              </Detail>
            ) : null}
            {workspace.parameters.map((parameter) => (
              <Detail key={parameter.name} term={parameter.label}>
                {typeof parameter.value === "boolean" ? (parameter.value ? "Yes" : "No") : String(parameter.value) || "—"}
              </Detail>
            ))}
          </dl>
          {notice.deletionScheduledAt ? (
            <p role="alert" className="rounded-md border border-destructive/40 bg-destructive/10 px-3 py-2 text-sm text-destructive">
              This workspace is dormant. It will be deleted with its home volume on {notice.deletionScheduledAt.toISOString().slice(0, 10)} unless it is
              started.
            </p>
          ) : null}
          {ownerVisits ? <ResumeOnOpen workspaceId={workspace.id} stopped={resumes} /> : null}
          <LiveFailure workspaceId={workspace.id} canOperate={workspace.canOperate} />
          <LiveFinalBackupFailed workspace={{ id: workspace.id, name: workspace.name }} canOperate={workspace.canOperate} />
          <LiveGone />
        </header>

        {workspace.accessGrants.length > 0 ? <AccessGrantList grants={workspace.accessGrants} canEnd={workspace.canOperate} /> : null}

        {workspace.canConnect ? (
          <>
            <section aria-label="Workspace tools">
              <LiveWorkspaceTools workspaceId={workspace.id} />
            </section>
            <section aria-labelledby="ports-heading" className="flex flex-col gap-3">
              <h2 id="ports-heading" className="text-base font-semibold">
                Ports
              </h2>
              <PortsList workspaceId={workspace.id} previewUrls={previewHost() !== null} />
            </section>
          </>
        ) : (
          <div className="flex flex-wrap items-center justify-between gap-3 rounded-lg border border-dashed p-6">
            <p className="text-sm text-muted-foreground">Only the owner opens this workspace&apos;s terminal and IDE.</p>
            {workspace.canGetAdminAccess ? <AdminAccessDialog workspace={{ id: workspace.id, name: workspace.name }} /> : null}
          </div>
        )}

        {backups && (backupsOn || backups.length > 0) ? (
          <WorkspaceBackups
            workspaceId={workspace.id}
            templateSlug={template.slug}
            backups={backups}
            canBackUp={backupsOn && workspace.canOperate && workspace.desiredState !== "DELETED"}
          />
        ) : null}

        <div className="grid gap-8 lg:grid-cols-[minmax(0,2fr)_minmax(0,3fr)]">
          <section aria-labelledby="progress-heading" className="flex flex-col gap-3">
            <h2 id="progress-heading" className="text-base font-semibold">
              Progress
            </h2>
            <LiveProgress />
          </section>
          <section aria-labelledby="events-heading" className="flex flex-col gap-3">
            <h2 id="events-heading" className="text-base font-semibold">
              Events
            </h2>
            <LiveEventLog />
          </section>
        </div>
      </div>
    </WorkspaceLiveProvider>
  );
}
