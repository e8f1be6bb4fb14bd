import * as React from "react";
import { cache } from "react";
import type { Metadata } from "next";
import Link from "next/link";
import { notFound } from "next/navigation";

import { AiBudgetForm } from "@/components/teams/ai-budget-form";
import { BackupSettingsForm } from "@/components/teams/backup-settings-form";
import { PortShareCapForm } from "@/components/teams/port-share-cap-form";
import { ServiceAccounts } from "@/components/teams/service-accounts";
import { WarmPools } from "@/components/teams/warm-pools";
import { BackLink } from "@/components/ui/back-link";
import { Card, CardContent } from "@/components/ui/card";
import { aiTeamOverview, type AiTeamOverview } from "@/lib/ai/team-overview";
import { requireUser } from "@/lib/auth/current-user";
import { can } from "@/lib/authz";
import { getBackupSettings } from "@/lib/backups/team-settings";
import { backupStore } from "@/lib/backups/store";
import { teamShareCaps } from "@/lib/ports/port-policy";
import { narrowest } from "@/lib/ports/share-level";
import { SHARE_CAP_LABELS } from "@/lib/schemas/ports";
import { env } from "@/lib/env";
import { getTeamForActor } from "@/lib/teams/get-team";
import { listServiceAccounts } from "@/lib/teams/service-accounts";
import { listWarmPools } from "@/lib/workspaces/warm-pool/pool-overview";

type SettingsPageProps = { params: Promise<{ slug: string }> };

// Shared by the metadata and the page within one request.
const teamForRequest = cache(async (slug: string) => getTeamForActor(await requireUser(), slug));

export async function generateMetadata({ params }: SettingsPageProps): Promise<Metadata> {
  const team = await teamForRequest((await params).slug);
  return { title: team ? `Settings · ${team.name}` : "Settings" };
}

/** One titled card of the page. */
function SettingsSection({ id, title, description, children }: { id: string; title: string; description: string; children: React.ReactNode }) {
  return (
    <Card>
      <CardContent>
        <section aria-labelledby={`${id}-heading`} className="flex flex-col gap-4">
          <div className="flex flex-col gap-1">
            <h2 id={`${id}-heading`} className="text-base font-semibold">
              {title}
            </h2>
            <p className="text-sm text-muted-foreground">{description}</p>
          </div>
          {children}
        </section>
      </CardContent>
    </Card>
  );
}

const formatTokens = (tokens: number) => tokens.toLocaleString("en");
const formatUsd = (micros: number) => `$${(micros / 1e6).toFixed(2)}`;

/** "1,200 tokens of 10,000 (12 %)", or without the limit when there is none. */
function spentOf(used: number, limit: number | null, format: (value: number) => string): string {
  if (limit === null) return format(used);
  return `${format(used)} of ${format(limit)} (${limit === 0 ? 100 : Math.floor((used / limit) * 100)} %)`;
}

/** This month's AI use against the budgets in force. */
function AiUse({ overview }: { overview: AiTeamOverview }) {
  const { effective } = overview.budget;
  const rows: [string, string][] = [
    ["The team", `${spentOf(overview.team.tokens, effective.teamTokens, formatTokens)} tokens · ${spentOf(overview.team.costMicros, effective.teamCostMicros, formatUsd)}`],
    ["You", `${spentOf(overview.mine.tokens, effective.memberTokens, formatTokens)} tokens · ${spentOf(overview.mine.costMicros, effective.memberCostMicros, formatUsd)}`],
  ];
  return (
    <dl className="grid gap-1 text-sm sm:grid-cols-[8rem_1fr]" aria-label="AI use this month">
      {rows.map(([who, what]) => (
        <React.Fragment key={who}>
          <dt className="text-muted-foreground">{who}</dt>
          <dd>{what}</dd>
        </React.Fragment>
      ))}
      <dt className="text-muted-foreground">Models</dt>
      <dd>{effective.allowedModels.length > 0 ? effective.allowedModels.join(", ") : "All the gateway's"}</dd>
    </dl>
  );
}

export default async function TeamSettingsPage({ params }: SettingsPageProps) {
  const user = await requireUser();
  const team = await teamForRequest((await params).slug);
  if (!team) notFound();
  const caps = await teamShareCaps(team.id);
  const canEdit = can(user, "team:manage-quotas", { teamId: team.id });
  const serviceAccounts = can(user, "team:manage-members", { teamId: team.id }) ? await listServiceAccounts(user, team.id) : null;
  const warmPools = await listWarmPools(user, team.id);
  const backups = backupStore() ? await getBackupSettings(user, team.id) : null;
  const ai = await aiTeamOverview(user, team.id);
  const canSetCeilings = can(user, "team:set-quota-ceilings");

  return (
    <div className="flex flex-col gap-6">
      <div className="flex flex-col gap-2">
        <BackLink href={`/teams/${team.slug}`}>{team.name}</BackLink>
        <h1 className="text-2xl font-semibold tracking-tight">Settings</h1>
        <p className="text-sm text-muted-foreground">
          How {team.name}&apos;s workspaces may be used. Its limits on resources are under{" "}
          <Link href={`/teams/${team.slug}/settings/quotas`} className="font-medium text-foreground underline underline-offset-4">
            Quotas
          </Link>
          .
        </p>
      </div>

      <SettingsSection
        id="preview-urls"
        title="Preview URLs"
        description="Each port a workspace listens on has a URL of its own, and the workspace's owner chooses who may open it, up to the level set here. Narrowing it narrows ports already shared wider within seconds, and below public it stops every signed link."
      >
        {canEdit ? (
          <PortShareCapForm teamId={team.id} cap={caps.team} platformCap={caps.platform} />
        ) : (
          <p className="text-sm">
            Ports may be shared at most with: <span className="font-medium">{SHARE_CAP_LABELS[narrowest(caps.team, caps.platform)]}</span>. Team owners
            and admins change this.
          </p>
        )}
      </SettingsSection>

      <SettingsSection
        id="warm-pools"
        title="Warm pools"
        description="Workspaces kept running with nobody's name on them, from a template's latest version with its default size and parameters. Creating one like that takes a running workspace from the pool (its page says so) instead of starting one; the pool refills in the background within the team's quota, and a new template version replaces its workspaces."
      >
        {warmPools.length > 0 ? <WarmPools teamId={team.id} pools={warmPools} canEdit={canEdit} /> : <p className="text-sm">The catalog has no templates yet.</p>}
      </SettingsSection>

      {backups ? (
        <SettingsSection
          id="backups"
          title="Backups"
          description="Each workspace's home is backed up, encrypted, when it stops and before it is deleted, and on this schedule while it runs. A deleted workspace's backups stay restorable (on the team's page) for the days set here."
        >
          {canEdit ? (
            <BackupSettingsForm teamId={team.id} retentionDays={backups.retentionDays} intervalHours={backups.intervalHours} />
          ) : (
            <p className="text-sm">
              Running workspaces are backed up {backups.intervalHours === null ? "only when they stop" : `every ${backups.intervalHours} h`}; deleted
              workspaces&apos; backups are kept {backups.retentionDays} days. Team owners and admins change this.
            </p>
          )}
        </SettingsSection>
      ) : null}

      <SettingsSection
        id="ai"
        title="AI"
        description="Workspaces reach the AI gateway's models with no setup: each gets OPENAI_BASE_URL, ANTHROPIC_BASE_URL and a key of its own, good for its current run. Requests spend the month's budgets of the team and of its member, reserved at their worst case before they run, so they stop at the budget; answers say when 80 % is used. Prompts and completions are never stored."
      >
        {ai.off ? (
          // Why, only for those who configure it: the reason names settings and variables.
          <p className="text-sm">{canSetCeilings ? `The AI gateway is off: ${ai.off}.` : "The AI gateway is off on this Podspace."}</p>
        ) : (
          <>
            <AiUse overview={ai} />
            {canEdit ? (
              <AiBudgetForm teamId={team.id} scope="LIMIT" values={ai.budget.limit} ceiling={ai.budget.ceiling} models={ai.models} />
            ) : (
              <p className="text-sm text-muted-foreground">Team owners and admins set the budgets and models, within the platform&apos;s ceilings.</p>
            )}
            {canSetCeilings ? (
              <div className="flex flex-col gap-2 border-t pt-4">
                <h3 className="text-sm font-semibold">Platform ceilings</h3>
                <AiBudgetForm teamId={team.id} scope="CEILING" values={ai.budget.ceiling} models={ai.models} />
              </div>
            ) : null}
          </>
        )}
      </SettingsSection>

      {serviceAccounts ? (
        <SettingsSection
          id="service-accounts"
          title="Service accounts"
          description={`Robots for CI and AI agents: each is a member of ${team.name}, so its workspaces count against the team's quotas like anyone's, and it acts only through the API tokens made for it here. It never signs in.`}
        >
          <ServiceAccounts teamId={team.id} accounts={serviceAccounts} maxDays={env.PODSPACE_API_TOKEN_MAX_DAYS} />
        </SettingsSection>
      ) : null}
    </div>
  );
}
