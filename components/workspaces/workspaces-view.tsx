import Link from "next/link";
import { Boxes, Plus } from "lucide-react";

import { Button } from "@/components/ui/button";
import { EmptyState } from "@/components/ui/empty-state";
import type { CurrentUser } from "@/lib/auth/current-user";
import { selectedTeam } from "@/lib/teams/selected-team";
import { listWorkspacesFor, seesTeamWorkspaces } from "@/lib/workspaces/list-workspaces";
import { cn } from "@/lib/utils";
import { AutoRefresh } from "./auto-refresh";
import { BulkStopForm } from "./bulk-stop";
import { WorkspaceList } from "./workspace-list";
import { isTransitional } from "./workspace-format";

type WorkspacesViewProps = {
  user: CurrentUser;
  /** The page's own path, for the Mine / Team links. */
  basePath: string;
  /** `?scope=team` asks for the selected team's workspaces. */
  scope: string | string[] | undefined;
};

/** The workspace list of `/` and `/workspaces`: the user's own, or their team's for team owners and admins. */
async function WorkspacesView({ user, basePath, scope }: WorkspacesViewProps) {
  const team = await selectedTeam(user);
  const teamView = team !== null && seesTeamWorkspaces(user, team.id);
  const showTeam = teamView && scope === "team";
  const workspaces = await listWorkspacesFor(user, showTeam ? { scope: "team", teamId: team.id } : { scope: "mine" });
  const busy = workspaces.some((workspace) => isTransitional(workspace.state, workspace.desiredState));

  return (
    <div className="flex flex-col gap-6">
      <div className="flex flex-wrap items-end justify-between gap-4">
        <div className="flex flex-col gap-1">
          <h1 className="text-2xl font-semibold tracking-tight">Workspaces</h1>
          <p className="text-sm text-muted-foreground">
            {showTeam
              ? `Every workspace in ${team.name}.`
              : "Your cloud development environments, built from shared templates."}
          </p>
        </div>
        {user.teams.length > 0 ? (
          <Button asChild>
            <Link href="/workspaces/new">
              <Plus aria-hidden="true" />
              New workspace
            </Link>
          </Button>
        ) : null}
      </div>

      {teamView ? (
        <nav aria-label="Whose workspaces" className="flex w-fit gap-1 rounded-lg bg-muted p-1">
          <ScopeLink href={basePath} current={!showTeam}>
            Mine
          </ScopeLink>
          <ScopeLink href={`${basePath}?scope=team`} current={showTeam}>
            Team {team.name}
          </ScopeLink>
        </nav>
      ) : null}

      {workspaces.length === 0 ? (
        <EmptyState
          icon={Boxes}
          title={showTeam ? "No workspaces in this team yet" : "No workspaces yet"}
          description="Pick a template from the catalog to create your first workspace."
          action={
            <Button asChild>
              <Link href="/templates">Browse templates</Link>
            </Button>
          }
        />
      ) : (
        <>
          {showTeam ? <BulkStopForm formId="bulk-stop" /> : null}
          <WorkspaceList
            workspaces={workspaces}
            showOwner={showTeam}
            showTeam={!showTeam && user.teams.length > 1}
            bulkStopForm={showTeam ? "bulk-stop" : undefined}
          />
        </>
      )}
      <AutoRefresh active={busy} />
    </div>
  );
}

function ScopeLink({ href, current, children }: { href: string; current: boolean; children: React.ReactNode }) {
  return (
    <Link
      href={href}
      aria-current={current ? "page" : undefined}
      className={cn(
        "rounded-md px-3 py-1 text-sm font-medium text-muted-foreground outline-none transition-colors",
        "hover:text-foreground focus-visible:ring-2 focus-visible:ring-ring",
        "aria-[current=page]:bg-background aria-[current=page]:text-foreground aria-[current=page]:shadow-xs",
      )}
    >
      {children}
    </Link>
  );
}

export { WorkspacesView };
