import type { Metadata } from "next";
import { notFound } from "next/navigation";
import { Users } from "lucide-react";

import { Card, CardContent } from "@/components/ui/card";
import { EmptyState } from "@/components/ui/empty-state";
import { CreateWorkspaceForm, type CreateFormTeam } from "@/components/workspaces/create-workspace-form";
import { TemplatePicker } from "@/components/workspaces/template-picker";
import { backupTime } from "@/components/backups/backup-status";
import { requireUser } from "@/lib/auth/current-user";
import { findRestorableBackup } from "@/lib/backups/queries";
import { headroom, teamLimits, teamUsage } from "@/lib/quotas/usage";
import { getTemplate, listTemplates } from "@/lib/templates/catalog";
import { selectedTeam } from "@/lib/teams/selected-team";
import { BackLink } from "@/components/ui/back-link";

export const metadata: Metadata = {
  title: "New workspace",
};

type NewWorkspacePageProps = { searchParams: Promise<Record<string, string | string[] | undefined>> };

export default async function NewWorkspacePage({ searchParams }: NewWorkspacePageProps) {
  const user = await requireUser();
  const query = await searchParams;
  // "Restore into a new workspace": from the backed-up workspace's template unless another is picked.
  const restore = typeof query.restoreFrom === "string" && query.restoreFrom !== "" ? await findRestorableBackup(user, query.restoreFrom) : null;
  if (query.restoreFrom && !restore) notFound();
  const slug = query.template ?? restore?.templateSlug;

  if (typeof slug !== "string" || slug === "") {
    const templates = (await listTemplates(user)).filter((template) => !template.archivedAt);
    return (
      <div className="flex flex-col gap-6">
        <div className="flex flex-col gap-2">
          <BackLink href="/workspaces">Workspaces</BackLink>
          <h1 className="text-2xl font-semibold tracking-tight">New workspace</h1>
          <p className="text-sm text-muted-foreground">
            Pick the template to build it from{restore ? `; its home starts as a copy of ${restore.workspaceName}'s backup of ${backupTime(restore.finishedAt)}` : ""}.
          </p>
        </div>
        <TemplatePicker templates={templates} restoreFrom={restore?.id} />
      </div>
    );
  }

  const template = await getTemplate(user, slug);
  if (!template || template.archivedAt) notFound();
  const spec = template.latest.spec;

  const heading = (
    <div className="flex flex-col gap-2">
      {/* Another template for a restore keeps the backup. */}
      <BackLink href={restore ? `/workspaces/new?restoreFrom=${encodeURIComponent(restore.id)}&template=` : "/workspaces/new"}>Templates</BackLink>
      <h1 className="text-2xl font-semibold tracking-tight">New workspace</h1>
      <p className="text-sm text-muted-foreground">
        From <span className="font-medium text-foreground">{template.name}</span> version {template.latest.version}
        {template.description ? ` · ${template.description}` : null}
      </p>
    </div>
  );

  if (user.teams.length === 0) {
    return (
      <div className="flex flex-col gap-6">
        {heading}
        <EmptyState
          icon={Users}
          title="You're not in a team yet"
          description="Workspaces belong to a team, whose quota they use. A team owner or admin can add you by your email address."
        />
      </div>
    );
  }

  // A backup restores into its own team only.
  const teamsOfChoice = restore ? user.teams.filter((team) => team.id === restore.teamId) : user.teams;
  const teams: CreateFormTeam[] = await Promise.all(
    teamsOfChoice.map(async (team) => {
      const [usage, limits] = await Promise.all([teamUsage(team.id), teamLimits(team.id)]);
      return { id: team.id, name: team.name, left: headroom(usage, limits) };
    }),
  );
  const defaultTeam = restore ? teams[0]! : ((await selectedTeam(user)) ?? user.teams[0]!);

  return (
    <div className="flex max-w-3xl flex-col gap-6">
      {heading}
      <Card>
        <CardContent>
          <CreateWorkspaceForm
            template={{
              slug: template.slug,
              name: template.name,
              version: template.latest.version,
              resources: spec.resources,
              parameters: spec.parameters,
            }}
            teams={teams}
            defaultTeamId={defaultTeam.id}
            restore={restore ? { id: restore.id, description: `${restore.workspaceName}'s backup of ${backupTime(restore.finishedAt)}` } : undefined}
          />
        </CardContent>
      </Card>
    </div>
  );
}
