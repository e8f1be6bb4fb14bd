import type { Metadata } from "next";
import Form from "next/form";
import Link from "next/link";
import { notFound } from "next/navigation";
import { Search, UserX } from "lucide-react";

import { setPlatformAdminAction, setTemplateAdminAction, setUserDeactivatedAction } from "@/app/(app)/admin/users/actions";
import { ActionButton } from "@/components/forms/action-button";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { EmptyState } from "@/components/ui/empty-state";
import { Input } from "@/components/ui/input";
import { Label } from "@/components/ui/label";
import { Pagination, pageHref } from "@/components/ui/pagination";
import { Table, TableBody, TableCell, TableHead, TableHeader, TableRow } from "@/components/ui/table";
import { requireUser } from "@/lib/auth/current-user";
import { can } from "@/lib/authz";
import { searchUsersSchema } from "@/lib/schemas/users";
import type { AdminUserView } from "@/lib/users/admin-user-view";
import { searchUsers } from "@/lib/users/search-users";

export const metadata: Metadata = {
  title: "Users",
};

const dateFormat = new Intl.DateTimeFormat("en", { dateStyle: "medium" });

function StatusBadges({ user }: { user: AdminUserView }) {
  return (
    <div className="flex flex-wrap gap-1.5">
      {user.deactivatedAt ? <Badge variant="destructive">Deactivated</Badge> : <Badge variant="success">Active</Badge>}
      {user.isPlatformAdmin ? <Badge>Platform admin</Badge> : null}
      {user.isTemplateAdmin ? <Badge variant="secondary">Template admin</Badge> : null}
      {user.hasSignedIn ? null : <Badge variant="outline">Never signed in</Badge>}
    </div>
  );
}

function UserActions({ user }: { user: AdminUserView }) {
  const label = user.name ?? user.email;
  return (
    <div className="flex flex-wrap justify-end gap-2">
      {user.isPlatformAdmin ? (
        <ActionButton
          action={setPlatformAdminAction}
          fields={{ userId: user.id, isPlatformAdmin: "false" }}
          aria-label={`Remove platform admin from ${label}`}
          confirm={{
            title: `Remove platform admin from ${label}?`,
            description: "They keep their team roles but can no longer manage teams and users.",
            confirmLabel: "Remove admin",
          }}
        >
          Remove admin
        </ActionButton>
      ) : (
        <ActionButton
          action={setPlatformAdminAction}
          fields={{ userId: user.id, isPlatformAdmin: "true" }}
          aria-label={`Make admin: ${label}`}
          confirm={{
            title: `Make ${label} a platform admin?`,
            description: "Platform admins can create and archive teams, manage every team's members and administer users.",
            confirmLabel: "Make admin",
          }}
        >
          Make admin
        </ActionButton>
      )}
      {user.isTemplateAdmin ? (
        <ActionButton
          action={setTemplateAdminAction}
          fields={{ userId: user.id, isTemplateAdmin: "false" }}
          aria-label={`Remove template admin from ${label}`}
          confirm={{
            title: `Remove template admin from ${label}?`,
            description: "They can no longer create, edit or archive templates. The versions they saved stay.",
            confirmLabel: "Remove template admin",
          }}
        >
          Remove template admin
        </ActionButton>
      ) : (
        <ActionButton
          action={setTemplateAdminAction}
          fields={{ userId: user.id, isTemplateAdmin: "true" }}
          aria-label={`Make template admin: ${label}`}
          confirm={{
            title: `Make ${label} a template admin?`,
            description: "Template admins create, edit, archive and restore the templates everyone builds workspaces from.",
            confirmLabel: "Make template admin",
          }}
        >
          Make template admin
        </ActionButton>
      )}
      {user.deactivatedAt ? (
        <ActionButton
          action={setUserDeactivatedAction}
          fields={{ userId: user.id, deactivated: "false" }}
          aria-label={`Reactivate ${label}`}
        >
          Reactivate
        </ActionButton>
      ) : (
        <ActionButton
          action={setUserDeactivatedAction}
          fields={{ userId: user.id, deactivated: "true" }}
          variant="destructive"
          aria-label={`Deactivate ${label}`}
          confirm={{
            title: `Deactivate ${label}?`,
            description: "They are signed out everywhere at once and can't sign in until reactivated. Their teams and workspaces are kept.",
            confirmLabel: "Deactivate",
          }}
        >
          Deactivate
        </ActionButton>
      )}
    </div>
  );
}

export default async function AdminUsersPage({
  searchParams,
}: {
  searchParams: Promise<Record<string, string | string[] | undefined>>;
}) {
  const actor = await requireUser();
  if (!can(actor, "user:administer")) notFound();
  const input = searchUsersSchema.parse(await searchParams);
  const { q } = input;
  const { items: users, previous, next } = await searchUsers(actor, input);

  return (
    <div className="flex flex-col gap-6">
      <div className="flex flex-col gap-1">
        <h1 className="text-2xl font-semibold tracking-tight">Users</h1>
        <p className="text-sm text-muted-foreground">
          Everyone who has signed in or been added to a team. Deactivating someone signs them out everywhere.
        </p>
      </div>

      <Form action="/admin/users" role="search" className="flex max-w-lg items-end gap-2">
        <div className="flex flex-1 flex-col gap-2">
          <Label htmlFor="user-search">Search by email or name</Label>
          <Input id="user-search" name="q" type="search" defaultValue={q} placeholder="ada@company.com" />
        </div>
        <Button type="submit" variant="secondary">
          <Search aria-hidden="true" />
          Search
        </Button>
      </Form>

      {users.length === 0 ? (
        <EmptyState
          icon={UserX}
          title="No users found"
          description={q ? `Nobody's email or name contains “${q}”.` : input.cursor ? "Nobody further on." : "Nobody has signed in yet."}
          action={
            input.cursor ? (
              <Button asChild variant="outline">
                <Link href={pageHref("/admin/users", { q }, null)}>First page</Link>
              </Button>
            ) : null
          }
        />
      ) : (
        <div className="flex flex-col gap-3">
          <Table>
            <TableHeader>
              <TableRow>
                <TableHead>User</TableHead>
                <TableHead>Status</TableHead>
                <TableHead className="text-right">Teams</TableHead>
                <TableHead>Last seen</TableHead>
                <TableHead>
                  <span className="sr-only">Actions</span>
                </TableHead>
              </TableRow>
            </TableHeader>
            <TableBody>
              {users.map((user) => (
                <TableRow key={user.id}>
                  <TableCell>
                    <div className="flex flex-col">
                      <span className="font-medium">{user.name ?? user.email}</span>
                      {user.name ? <span className="text-xs text-muted-foreground">{user.email}</span> : null}
                    </div>
                  </TableCell>
                  <TableCell>
                    <StatusBadges user={user} />
                  </TableCell>
                  <TableCell className="text-right tabular-nums">{user.teamCount}</TableCell>
                  <TableCell className="text-muted-foreground">
                    {user.lastSeenAt ? (
                      <time dateTime={user.lastSeenAt.toISOString()}>{dateFormat.format(user.lastSeenAt)}</time>
                    ) : (
                      "Never"
                    )}
                  </TableCell>
                  <TableCell>
                    {user.id === actor.id ? (
                      <p className="text-right text-xs text-muted-foreground">This is you</p>
                    ) : (
                      <UserActions user={user} />
                    )}
                  </TableCell>
                </TableRow>
              ))}
            </TableBody>
          </Table>
          <Pagination path="/admin/users" query={{ q }} previous={previous} next={next} />
        </div>
      )}
    </div>
  );
}
