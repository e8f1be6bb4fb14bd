import { cache } from "react";
import type { Metadata } from "next";
import Form from "next/form";
import Link from "next/link";
import { notFound } from "next/navigation";
import { Search, UserX } from "lucide-react";

import { removeMemberAction } from "@/app/(app)/teams/actions";
import { ActionButton } from "@/components/forms/action-button";
import { AddMemberForm } from "@/components/teams/add-member-form";
import { DeletedWorkspaceBackups } from "@/components/teams/deleted-workspace-backups";
import { MemberRoleForm } from "@/components/teams/member-role-form";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Card, CardContent } from "@/components/ui/card";
import { EmptyState } from "@/components/ui/empty-state";
import { Input } from "@/components/ui/input";
import { Label } from "@/components/ui/label";
import { Pagination } from "@/components/ui/pagination";
import { Table, TableBody, TableCell, TableHead, TableHeader, TableRow } from "@/components/ui/table";
import { requireUser } from "@/lib/auth/current-user";
import { can, type Actor } from "@/lib/authz";
import { listDeletedWorkspaceBackups } from "@/lib/backups/queries";
import type { TeamRole } from "@/lib/generated/prisma/enums";
import { memberListQuerySchema, ROLE_LABELS, TEAM_ROLES } from "@/lib/schemas/teams";
import { getTeamForActor } from "@/lib/teams/get-team";
import { listMembers } from "@/lib/teams/list-members";
import type { MemberView } from "@/lib/teams/member-view";
import { BackLink } from "@/components/ui/back-link";

type TeamPageProps = { params: Promise<{ slug: string }>; searchParams: Promise<Record<string, string | string[] | undefined>> };

// Shared by the metadata and the page within one request.
const teamForRequest = cache(async (slug: string) => getTeamForActor(await requireUser(), slug));

export async function generateMetadata({ params }: TeamPageProps): Promise<Metadata> {
  const team = await teamForRequest((await params).slug);
  return { title: team?.name ?? "Team" };
}

const SOURCE_LABELS = { MANUAL: "Manual", GROUP_SYNC: "Group sync" } as const;

/** The roles the actor may give someone who has `currentRole` now (or is new). */
function grantableRoles(actor: Actor, teamId: string, currentRole?: TeamRole): TeamRole[] {
  return TEAM_ROLES.filter((newRole) => can(actor, "team:manage-members", { teamId, currentRole, newRole }));
}

function MemberRow({ member, teamId, actor }: { member: MemberView; teamId: string; actor: Actor }) {
  const label = member.name ?? member.email;
  const manageable = can(actor, "team:manage-members", { teamId, currentRole: member.role });

  return (
    <TableRow>
      <TableCell>
        <div className="flex flex-wrap items-center gap-2">
          <span className={member.name ? "font-medium" : "text-muted-foreground"}>{member.name ?? "—"}</span>
          {member.userId === actor.id ? <Badge variant="outline">You</Badge> : null}
          {member.deactivated ? <Badge variant="destructive">Deactivated</Badge> : null}
        </div>
      </TableCell>
      <TableCell className="text-muted-foreground">{member.email}</TableCell>
      <TableCell>
        {manageable ? (
          <MemberRoleForm
            // Remount when the role changes so the select shows the saved role.
            key={member.role}
            teamId={teamId}
            userId={member.userId}
            role={member.role}
            roles={grantableRoles(actor, teamId, member.role)}
            memberLabel={label}
          />
        ) : (
          <Badge variant="secondary">{ROLE_LABELS[member.role]}</Badge>
        )}
      </TableCell>
      <TableCell>
        <Badge variant="outline">{SOURCE_LABELS[member.source]}</Badge>
      </TableCell>
      <TableCell className="text-right">
        {manageable ? (
          <ActionButton
            action={removeMemberAction}
            fields={{ teamId, userId: member.userId }}
            variant="destructive"
            aria-label={`Remove ${label}`}
            confirm={{
              title: `Remove ${label}?`,
              description: `${member.email} loses access to this team and its workspaces. You can add them again later.`,
              confirmLabel: "Remove member",
            }}
          >
            Remove
          </ActionButton>
        ) : null}
      </TableCell>
    </TableRow>
  );
}

export default async function TeamPage({ params, searchParams }: TeamPageProps) {
  const user = await requireUser();
  const team = await teamForRequest((await params).slug);
  if (!team) notFound();
  const query = memberListQuerySchema.parse(await searchParams);
  const members = await listMembers(user, team.id, query);
  const canManage = can(user, "team:manage-members", { teamId: team.id });
  const deletedBackups = await listDeletedWorkspaceBackups(user, team.id);

  return (
    <div className="flex flex-col gap-6">
      <div className="flex flex-col gap-2">
        <BackLink href="/teams">Teams</BackLink>
        <div className="flex flex-wrap items-center gap-3">
          <h1 className="text-2xl font-semibold tracking-tight">{team.name}</h1>
          {team.archivedAt ? <Badge variant="warning">Archived</Badge> : null}
        </div>
        <p className="text-sm text-muted-foreground">
          <span className="font-mono">{team.slug}</span>
          {team.role ? ` · Your role: ${ROLE_LABELS[team.role]}` : null}
          {` · ${members.total} ${members.total === 1 ? "member" : "members"}`}
          {" · "}
          <Link href={`/teams/${team.slug}/settings/quotas`} className="font-medium text-foreground underline underline-offset-4">
            Quotas
          </Link>
        </p>
        <nav aria-label="Team" className="flex gap-4 text-sm">
          <Link href={`/teams/${team.slug}/usage`} className="font-medium underline-offset-4 hover:underline">
            Usage
          </Link>
          <Link href={`/teams/${team.slug}/settings`} className="font-medium underline-offset-4 hover:underline">
            Settings
          </Link>
        </nav>
      </div>

      {canManage ? (
        <Card>
          <CardContent>
            <AddMemberForm teamId={team.id} roles={grantableRoles(user, team.id)} />
          </CardContent>
        </Card>
      ) : null}

      <section aria-labelledby="members-heading" className="flex flex-col gap-3">
        <div className="flex flex-wrap items-end justify-between gap-3">
          <h2 id="members-heading" className="text-base font-semibold">
            Members
          </h2>
          <Form action={`/teams/${team.slug}`} role="search" aria-label="Search members" className="flex items-end gap-2">
            <Label htmlFor="member-search" className="sr-only">
              Search members by name or email
            </Label>
            <Input id="member-search" name="q" type="search" defaultValue={query.q} placeholder="Name or email" className="w-56" />
            <Button type="submit" variant="secondary" size="sm">
              <Search aria-hidden="true" />
              Search
            </Button>
          </Form>
        </div>
        {members.items.length === 0 ? (
          <EmptyState
            icon={UserX}
            title="No members found"
            description={query.q ? `Nobody in ${team.name} has a name or email containing “${query.q}”.` : "Nobody further on."}
            action={
              <Button asChild variant="outline">
                <Link href={`/teams/${team.slug}`}>Every member</Link>
              </Button>
            }
          />
        ) : (
          <>
            <Table>
              <TableHeader>
                <TableRow>
                  <TableHead>Name</TableHead>
                  <TableHead>Email</TableHead>
                  <TableHead>Role</TableHead>
                  <TableHead>Source</TableHead>
                  <TableHead>
                    <span className="sr-only">Actions</span>
                  </TableHead>
                </TableRow>
              </TableHeader>
              <TableBody>
                {members.items.map((member) => (
                  <MemberRow key={member.userId} member={member} teamId={team.id} actor={user} />
                ))}
              </TableBody>
            </Table>
            <Pagination path={`/teams/${team.slug}`} query={{ q: query.q }} previous={members.previous} next={members.next} />
          </>
        )}
      </section>

      {deletedBackups && deletedBackups.length > 0 ? (
        <section aria-labelledby="deleted-backups-heading" className="flex flex-col gap-3">
          <div className="flex flex-col gap-1">
            <h2 id="deleted-backups-heading" className="text-base font-semibold">
              Backups of deleted workspaces
            </h2>
            <p className="text-sm text-muted-foreground">
              {team.role === "MEMBER" ? "Your deleted workspaces'" : "The team's deleted workspaces'"} homes, kept for {team.name}&apos;s retention (
              <Link href={`/teams/${team.slug}/settings`} className="underline underline-offset-4">
                Settings
              </Link>
              ): browse and download their files, or restore one into a new workspace.
            </p>
          </div>
          <DeletedWorkspaceBackups rows={deletedBackups} />
        </section>
      ) : null}
    </div>
  );
}
