import type { Metadata } from "next";
import Link from "next/link";
import { notFound } from "next/navigation";

import { AiUsageSection } from "@/components/usage/ai-usage-section";
import { UsageDashboard } from "@/components/usage/usage-dashboard";
import { BackLink } from "@/components/ui/back-link";
import { aiUsageReport } from "@/lib/ai/ai-report";
import { requireUser } from "@/lib/auth/current-user";
import { can } from "@/lib/authz";
import { teamLimits, teamUsage } from "@/lib/quotas/usage";
import { getTeamForActor } from "@/lib/teams/get-team";
import { usagePageQuery } from "@/lib/usage/page-query";
import { usageReport } from "@/lib/usage/report";

type TeamUsagePageProps = {
  params: Promise<{ slug: string }>;
  searchParams: Promise<Record<string, string | string[] | undefined>>;
};

export const metadata: Metadata = { title: "Usage" };

export default async function TeamUsagePage({ params, searchParams }: TeamUsagePageProps) {
  const user = await requireUser();
  const team = await getTeamForActor(user, (await params).slug);
  if (!team) notFound();
  const { period, by, error } = usagePageQuery(await searchParams, ["user", "template"]);
  const [report, usage, limits, ai] = await Promise.all([usageReport(team.id, period, by), teamUsage(team.id), teamLimits(team.id), aiUsageReport(team.id, period)]);

  return (
    <div className="flex flex-col gap-6">
      <div className="flex flex-col gap-2">
        <BackLink href={`/teams/${team.slug}`}>{team.name}</BackLink>
        <h1 className="text-2xl font-semibold tracking-tight">Usage</h1>
        <p className="text-sm text-muted-foreground">
          What {team.name}&apos;s workspaces used, counted while they run (CPU, memory) and while they exist (storage).
          {can(user, "usage:view-all") ? (
            <>
              {" "}
              <Link href="/admin/usage" className="underline underline-offset-4">
                All teams
              </Link>
            </>
          ) : null}
        </p>
      </div>
      <UsageDashboard
        path={`/teams/${team.slug}/usage`}
        teamSlug={team.slug}
        period={period}
        by={by}
        breakdowns={["user", "template"]}
        report={report}
        quota={{ usage, limits }}
        error={error}
      />
      <AiUsageSection report={ai} period={period} teamSlug={team.slug} />
    </div>
  );
}
