import { TeamBudgetBanner } from "@/components/quotas/team-budget-banner";
import { AppShell } from "@/components/shell/app-shell";
import { requireUser } from "@/lib/auth/current-user";
import { selectedTeam } from "@/lib/teams/selected-team";

export default async function SignedInLayout({ children }: Readonly<{ children: React.ReactNode }>) {
  const user = await requireUser();
  const team = await selectedTeam(user);

  return (
    <AppShell
      user={{ name: user.name, email: user.email, isPlatformAdmin: user.isPlatformAdmin, teams: user.teams }}
      selectedTeamSlug={team?.slug ?? null}
    >
      {team ? <TeamBudgetBanner team={team} /> : null}
      {children}
    </AppShell>
  );
}
