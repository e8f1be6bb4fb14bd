import type { Metadata } from "next";
import Link from "next/link";
import { Users } from "lucide-react";

import { setTeamArchivedAction } from "@/app/(app)/teams/actions";
import { ActionButton } from "@/components/forms/action-button";
import { CreateTeamDialog } from "@/components/teams/create-team-dialog";
import { Badge } from "@/components/ui/badge";
import { EmptyState } from "@/components/ui/empty-state";
import { Table, TableBody, TableCell, TableHead, TableHeader, TableRow } from "@/components/ui/table";
import { requireUser } from "@/lib/auth/current-user";
import { can } from "@/lib/authz";
import { ROLE_LABELS } from "@/lib/schemas/teams";
import { listTeamsFor, type TeamListItem } from "@/lib/teams/list-teams";

export const metadata: Metadata = {
  title: "Teams",
};

function ArchiveButton({ team }: { team: TeamListItem }) {
  if (team.archivedAt) {
    return (
      <ActionButton
        action={setTeamArchivedAction}
        fields={{ teamId: team.id, archived: "false" }}
        aria-label={`Restore ${team.name}`}
      >
        Restore
      </ActionButton>
    );
  }
  return (
    <ActionButton
      action={setTeamArchivedAction}
      fields={{ teamId: team.id, archived: "true" }}
      variant="destructive"
      aria-label={`Archive ${team.name}`}
      confirm={{
        title: `Archive ${team.name}?`,
        description:
          "Its members lose access to the team until it is restored. Members, settings and history are kept.",
        confirmLabel: "Archive team",
      }}
    >
      Archive
    </ActionButton>
  );
}

export default async function TeamsPage() {
  const user = await requireUser();
  const teams = await listTeamsFor(user);
  const administers = can(user, "team:create");

  return (
    <div className="flex flex-col gap-6">
      <div className="flex flex-wrap items-end justify-between gap-4">
        <div className="flex flex-col gap-1">
          <h1 className="text-2xl font-semibold tracking-tight">Teams</h1>
          <p className="text-sm text-muted-foreground">
            {administers
              ? "Every team on this Podspace, archived ones included."
              : "The teams you belong to and your role in each."}
          </p>
        </div>
        {administers ? <CreateTeamDialog defaultOwnerEmail={user.email} /> : null}
      </div>

      {teams.length === 0 ? (
        <EmptyState
          icon={Users}
          title={administers ? "No teams yet" : "You're not in a team yet"}
          description={
            administers
              ? "Create a team and name its owner; they can then add everyone else."
              : "A team owner or admin can add you by your email address."
          }
        />
      ) : (
        <Table>
          <TableHeader>
            <TableRow>
              <TableHead>Team</TableHead>
              <TableHead>Your role</TableHead>
              <TableHead className="text-right">Members</TableHead>
              {administers ? <TableHead>Status</TableHead> : null}
              {administers ? (
                <TableHead>
                  <span className="sr-only">Actions</span>
                </TableHead>
              ) : null}
            </TableRow>
          </TableHeader>
          <TableBody>
            {teams.map((team) => (
              <TableRow key={team.id}>
                <TableCell>
                  <div className="flex flex-col">
                    <Link
                      href={`/teams/${team.slug}`}
                      className="font-medium underline-offset-4 outline-none hover:underline focus-visible:underline"
                    >
                      {team.name}
                    </Link>
                    <span className="text-xs text-muted-foreground">{team.slug}</span>
                  </div>
                </TableCell>
                <TableCell>
                  {team.role ? (
                    <Badge variant="secondary">{ROLE_LABELS[team.role]}</Badge>
                  ) : (
                    <span className="text-muted-foreground">
                      <span aria-hidden="true">—</span>
                      <span className="sr-only">Not a member</span>
                    </span>
                  )}
                </TableCell>
                <TableCell className="text-right tabular-nums">{team.memberCount}</TableCell>
                {administers ? (
                  <TableCell>
                    {team.archivedAt ? <Badge variant="warning">Archived</Badge> : <Badge variant="success">Active</Badge>}
                  </TableCell>
                ) : null}
                {administers ? (
                  <TableCell className="text-right">
                    <ArchiveButton team={team} />
                  </TableCell>
                ) : null}
              </TableRow>
            ))}
          </TableBody>
        </Table>
      )}
    </div>
  );
}
