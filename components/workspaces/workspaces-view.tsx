import Link from "next/link";
import { Boxes, Plus, SearchX } from "lucide-react";

import { Button } from "@/components/ui/button";
import { EmptyState } from "@/components/ui/empty-state";
import { Pagination, pageHref } from "@/components/ui/pagination";
import type { CurrentUser } from "@/lib/auth/current-user";
import { plural } from "@/lib/format";
import { workspaceListQuerySchema } from "@/lib/schemas/workspaces";
import { selectedTeam } from "@/lib/teams/selected-team";
import { listWorkspacesFor, seesTeamWorkspaces } from "@/lib/workspaces/list-workspaces";
import { cn } from "@/lib/utils";
import { AutoRefresh } from "./auto-refresh";
import { BulkStopForm } from "./bulk-stop";
import { WorkspaceFilters } from "./workspace-filters";
import { WorkspaceList } from "./workspace-list";
import { isTransitional } from "./workspace-format";

type WorkspacesViewProps = {
  user: CurrentUser;
  /** The page's own path, for the Mine / Team links, the search and the pages. */
  basePath: string;
  /** The page's query string: `?scope=team` asks for the selected team's workspaces (workspaceListQuerySchema). */
  searchParams: Record<string, string | string[] | undefined>;
};


/** The workspace list of `/` and `/workspaces`: the user's own, or their team's for team owners and admins, a page at a time. */
async function WorkspacesView({ user, basePath, searchParams }: WorkspacesViewProps) {
  const query = workspaceListQuerySchema.parse(searchParams);
  const team = await selectedTeam(user);
  const teamView = team !== null && seesTeamWorkspaces(user, team.id);
  const showTeam = teamView && query.scope === "team";
  const page = await listWorkspacesFor(user, {
    ...(showTeam ? { scope: "team", teamId: team.id } : { scope: "mine" }),
    q: query.q,
    state: query.state,
    cursor: query.cursor,
  });
  const busy = page.items.some((workspace) => isTransitional(workspace.state, workspace.desiredState));
  const filtered = query.q !== "" || query.state !== "all";
  // What the page links keep: the tab and the filters.
  const scope = { scope: showTeam ? "team" : undefined };
  const filters = { ...scope, q: query.q, state: query.state === "all" ? undefined : query.state };

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

      {page.total === 0 && !filtered ? (
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
          <WorkspaceFilters basePath={basePath} team={showTeam} q={query.q} state={query.state} />
          {page.items.length === 0 ? (
            page.total === 0 ? (
              <EmptyState
                icon={SearchX}
                title="No workspaces match"
                description={`Nothing ${showTeam ? `in ${team.name}` : "of yours"} matches this search.`}
                action={
                  <Button asChild variant="outline">
                    <Link href={pageHref(basePath, scope, null)}>Clear the search</Link>
                  </Button>
                }
              />
            ) : (
              // Only past the end of the list: its last page's workspaces went meanwhile.
              <EmptyState
                icon={Boxes}
                title="No more workspaces"
                action={
                  <Button asChild variant="outline">
                    <Link href={pageHref(basePath, filters, null)}>The newest</Link>
                  </Button>
                }
              />
            )
          ) : (
            <>
              {showTeam ? <BulkStopForm formId="bulk-stop" /> : null}
              <WorkspaceList
                workspaces={page.items}
                showOwner={showTeam}
                showTeam={!showTeam && user.teams.length > 1}
                bulkStopForm={showTeam ? "bulk-stop" : undefined}
              />
              <Pagination
                path={basePath}
                query={filters}
                previous={page.previous}
                next={page.next}
                labels={{ previous: "Newer", next: "Older" }}
                summary={filtered ? `${plural(page.total, "workspace")} match` : plural(page.total, "workspace")}
              />
            </>
          )}
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
