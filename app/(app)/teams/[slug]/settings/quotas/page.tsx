import { cache } from "react";
import type { Metadata } from "next";
import { notFound } from "next/navigation";

import { BudgetBanner } from "@/components/quotas/budget-banner";
import { describeLimit, QUOTA_FIELD_INFO } from "@/components/quotas/quota-fields";
import { QuotaForm } from "@/components/quotas/quota-form";
import { BackLink } from "@/components/ui/back-link";
import { Card, CardContent } from "@/components/ui/card";
import { Table, TableBody, TableCell, TableHead, TableHeader, TableRow } from "@/components/ui/table";
import { requireUser } from "@/lib/auth/current-user";
import { can } from "@/lib/authz";
import { quotaOverview } from "@/lib/quotas/overview";
import { getTeamForActor } from "@/lib/teams/get-team";

type QuotasPageProps = { params: Promise<{ slug: string }> };

const teamForRequest = cache(async (slug: string) => getTeamForActor(await requireUser(), slug));

export async function generateMetadata({ params }: QuotasPageProps): Promise<Metadata> {
  const team = await teamForRequest((await params).slug);
  return { title: team ? `Quotas · ${team.name}` : "Quotas" };
}

export default async function QuotasPage({ params }: QuotasPageProps) {
  const user = await requireUser();
  const team = await teamForRequest((await params).slug);
  if (!team) notFound();
  const overview = await quotaOverview(team.id);
  const canEdit = can(user, "team:manage-quotas", { teamId: team.id });
  const canSetCeilings = can(user, "team:set-quota-ceilings");

  return (
    <div className="flex flex-col gap-6">
      <div className="flex flex-col gap-2">
        <BackLink href={`/teams/${team.slug}`}>{team.name}</BackLink>
        <h1 className="text-2xl font-semibold tracking-tight">Quotas</h1>
        <p className="text-sm text-muted-foreground">
          What {team.name} may use. Team owners and admins set the limits; platform admins set ceilings above them. The stricter of the two is
          enforced: creating or starting a workspace that would go over it is refused.
        </p>
      </div>

      {overview.budget ? <BudgetBanner teamName={team.name} budget={overview.budget} showOk stopsAtBudget={overview.effective.stopAtBudget} /> : null}

      <section aria-labelledby="usage-heading" className="flex flex-col gap-3">
        <h2 id="usage-heading" className="text-base font-semibold">
          Usage against limits
        </h2>
        <Table>
          <TableHeader>
            <TableRow>
              <TableHead>Limit</TableHead>
              <TableHead>In use</TableHead>
              <TableHead>Team limit</TableHead>
              <TableHead>Platform ceiling</TableHead>
              <TableHead>Enforced</TableHead>
              <TableHead>How it is counted</TableHead>
            </TableRow>
          </TableHeader>
          <TableBody>
            {QUOTA_FIELD_INFO.map((info) => {
              const used = overview.used[info.field];
              const enforced = overview.effective[info.field];
              const over = used !== null && enforced !== null && used > enforced;
              return (
                <TableRow key={info.field} data-quota={info.name}>
                  <TableCell className="font-medium">{info.label}</TableCell>
                  <TableCell className={over ? "font-medium text-destructive" : undefined}>{used === null ? "—" : describeLimit(info, used)}</TableCell>
                  <TableCell>{describeLimit(info, overview.limit[info.field])}</TableCell>
                  <TableCell>{describeLimit(info, overview.ceiling[info.field])}</TableCell>
                  <TableCell className="font-medium">{describeLimit(info, enforced)}</TableCell>
                  <TableCell className="max-w-sm text-xs text-muted-foreground">{info.derivation}</TableCell>
                </TableRow>
              );
            })}
          </TableBody>
        </Table>
        {overview.effective.monthlyCpuCoreHours !== null ? (
          <p className="text-xs text-muted-foreground">
            At the budget: {overview.effective.stopAtBudget ? "running workspaces are stopped as well." : "running workspaces keep running until their idle stop."}
          </p>
        ) : null}
      </section>

      {canEdit ? (
        <Card>
          <CardContent>
            <QuotaForm
              teamId={team.id}
              scope="LIMIT"
              title="Team limits"
              description="Leave a field empty for no limit of the team's own; the platform's ceiling still applies. Lowering a limit below what is in use stops nothing: it refuses the next create or start."
              values={overview.limit}
              ceiling={overview.ceiling}
            />
          </CardContent>
        </Card>
      ) : null}

      {canSetCeilings ? (
        <Card>
          <CardContent>
            <QuotaForm
              teamId={team.id}
              scope="CEILING"
              title="Platform ceilings"
              description="Platform admins only: the most this team's owners may allow themselves. Leave a field empty for no ceiling."
              values={overview.ceiling}
            />
          </CardContent>
        </Card>
      ) : null}
    </div>
  );
}
