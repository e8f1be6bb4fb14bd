import * as React from "react";
import Link from "next/link";
import { Boxes } from "lucide-react";

import { NavLink } from "@/components/shell/nav-link";
import { TeamSwitcher, type TeamSwitcherProps } from "@/components/shell/team-switcher";
import { ThemeToggle } from "@/components/shell/theme-toggle";
import { UserMenu } from "@/components/shell/user-menu";

const navItems = [
  { href: "/workspaces", label: "Workspaces" },
  { href: "/templates", label: "Templates" },
  { href: "/teams", label: "Teams" },
] as const;

const auditNavItem = { href: "/audit", label: "Audit log" } as const;
const adminNavItem = { href: "/admin", label: "Admin" } as const;

/** The signed-in user as the shell shows them. */
type ShellUser = {
  name: string | null;
  email: string;
  isPlatformAdmin: boolean;
  teams: TeamSwitcherProps["teams"];
};

type AppShellProps = {
  /** Without a user (e.g. a 404 for a signed-out visitor) the shell shows no navigation. */
  user?: ShellUser;
  selectedTeamSlug?: string | null;
  children: React.ReactNode;
};

function AppShell({ user, selectedTeamSlug = null, children }: AppShellProps) {
  // The audit log is for platform admins and team owners (lib/authz.ts, "audit:view").
  const readsAudit = user?.isPlatformAdmin || user?.teams.some((team) => team.role === "OWNER");
  const items = user ? [...navItems, ...(readsAudit ? [auditNavItem] : []), ...(user.isPlatformAdmin ? [adminNavItem] : [])] : [];

  return (
    <div data-slot="app-shell" className="flex min-h-dvh flex-col">
      <a
        href="#main"
        className="sr-only rounded-md bg-background px-3 py-2 text-sm font-medium focus:not-sr-only focus:fixed focus:top-2 focus:left-2 focus:z-50 focus:ring-2 focus:ring-ring"
      >
        Skip to content
      </a>
      <header className="sticky top-0 z-40 border-b bg-background/90 backdrop-blur supports-[backdrop-filter]:bg-background/75">
        <div className="mx-auto flex max-w-6xl flex-wrap items-center gap-x-6 px-4 sm:px-6">
          <Link
            href="/"
            className="flex h-14 items-center gap-2 rounded-md font-semibold tracking-tight outline-none focus-visible:ring-2 focus-visible:ring-ring"
          >
            <Boxes aria-hidden="true" className="size-5 text-primary" />
            Podspace
          </Link>
          {items.length > 0 ? (
            // On narrow screens the nav drops to its own scrollable row below the wordmark.
            <nav
              aria-label="Main"
              className="order-last -mx-4 w-[calc(100%+2rem)] overflow-x-auto px-4 pb-2 sm:order-none sm:mx-0 sm:w-auto sm:p-0"
            >
              <ul className="flex items-center gap-1">
                {items.map((item) => (
                  <li key={item.href}>
                    <NavLink href={item.href}>{item.label}</NavLink>
                  </li>
                ))}
              </ul>
            </nav>
          ) : null}
          <div className="ml-auto flex h-14 items-center gap-1">
            {user ? <TeamSwitcher teams={user.teams} selectedSlug={selectedTeamSlug} /> : null}
            <ThemeToggle />
            <UserMenu user={user} />
          </div>
        </div>
      </header>
      <main id="main" tabIndex={-1} className="flex-1 outline-none">
        <div className="mx-auto w-full max-w-6xl px-4 py-8 sm:px-6">{children}</div>
      </main>
    </div>
  );
}

export { AppShell, type AppShellProps, type ShellUser };
