import type { Metadata } from "next";
import Link from "next/link";
import { notFound } from "next/navigation";

import { AiUsageSection } from "@/components/usage/ai-usage-section";
import { UsageDashboard } from "@/components/usage/usage-dashboard";
import { aiUsageReport } from "@/lib/ai/ai-report";
import { requireUser } from "@/lib/auth/current-user";
import { can } from "@/lib/authz";
import { getDb } from "@/lib/db/client";
import { usagePageQuery } from "@/lib/usage/page-query";
import { usageReport } from "@/lib/usage/report";

type AdminUsagePageProps = { searchParams: Promise<Record<string, string | string[] | undefined>> };

export const metadata: Metadata = { title: "Usage · Admin" };

export default async function AdminUsagePage({ searchParams }: AdminUsagePageProps) {
  const user = await requireUser();
  if (!can(user, "usage:view-all")) notFound();
  const { period, by, error } = usagePageQuery(await searchParams, ["team", "template", "user"]);
  const [report, ai, teams] = await Promise.all([
    usageReport(null, period, by),
    aiUsageReport(null, period),
    getDb().team.findMany({ select: { slug: true, name: true }, orderBy: { name: "asc" } }),
  ]);

  return (
    <div className="flex flex-col gap-6">
      <div className="flex flex-col gap-2">
        <h1 className="text-2xl font-semibold tracking-tight">Usage across teams</h1>
        <nav aria-label="One team's usage" className="flex flex-wrap gap-x-3 gap-y-1 text-sm text-muted-foreground">
          <span>One team:</span>
          {teams.map((team) => (
            <Link key={team.slug} href={`/teams/${team.slug}/usage`} className="underline underline-offset-4 hover:text-foreground">
              {team.name}
            </Link>
          ))}
        </nav>
      </div>
      <UsageDashboard path="/admin/usage" teamSlug={null} period={period} by={by} breakdowns={["team", "template", "user"]} report={report} error={error} />
      <AiUsageSection report={ai} period={period} teamSlug={null} />
    </div>
  );
}
