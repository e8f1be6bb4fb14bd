"use client";

import Link from "next/link";
import { DropdownMenu } from "radix-ui";
import { KeyRound, LogOut } from "lucide-react";

import { signOutAction } from "@/components/shell/actions";
import { Button } from "@/components/ui/button";

const ITEM_CLASS =
  "flex w-full cursor-default items-center gap-2 rounded-sm px-2 py-1.5 text-sm outline-none select-none data-[highlighted]:bg-accent data-[highlighted]:text-accent-foreground";

type UserMenuProps = {
  user?: { name: string | null; email: string };
};

function initialsOf(name: string | null, email: string) {
  const words = (name ?? "").trim().split(/\s+/).filter(Boolean);
  const first = words.at(0);
  if (!first) return email.charAt(0).toUpperCase();
  const last = words.length > 1 ? (words.at(-1) ?? "") : "";
  return (first.charAt(0) + last.charAt(0)).toUpperCase();
}

function UserMenu({ user }: UserMenuProps) {
  if (!user) {
    return (
      <Button asChild variant="outline" size="sm">
        <Link href="/login">Sign in</Link>
      </Button>
    );
  }

  const displayName = user.name ?? user.email;

  return (
    <DropdownMenu.Root>
      <DropdownMenu.Trigger asChild>
        <Button
          variant="ghost"
          size="icon"
          aria-label={`Account menu for ${displayName}`}
          className="rounded-full"
        >
          <span
            aria-hidden="true"
            className="flex size-8 items-center justify-center rounded-full bg-primary text-xs font-semibold text-primary-foreground"
          >
            {initialsOf(user.name, user.email)}
          </span>
        </Button>
      </DropdownMenu.Trigger>
      <DropdownMenu.Portal>
        <DropdownMenu.Content
          align="end"
          sideOffset={6}
          data-slot="user-menu-content"
          className="z-50 min-w-56 rounded-md border bg-popover p-1 text-popover-foreground shadow-md"
        >
          <DropdownMenu.Label className="flex flex-col gap-0.5 px-2 py-1.5">
            {user.name ? <span className="truncate text-sm font-medium">{user.name}</span> : null}
            <span className="truncate text-xs text-muted-foreground">{user.email}</span>
          </DropdownMenu.Label>
          <DropdownMenu.Separator className="-mx-1 my-1 h-px bg-border" />
          <DropdownMenu.Item asChild className={ITEM_CLASS}>
            <Link href="/tokens">
              <KeyRound aria-hidden="true" className="size-4" />
              API tokens
            </Link>
          </DropdownMenu.Item>
          {/* Signing out changes state, so it is a POST, never a link. */}
          <form action={signOutAction}>
            <DropdownMenu.Item
              asChild
              // Closing the menu would unmount the form before the browser submits it.
              onSelect={(event) => event.preventDefault()}
              className={ITEM_CLASS}
            >
              <button type="submit">
                <LogOut aria-hidden="true" className="size-4" />
                Sign out
              </button>
            </DropdownMenu.Item>
          </form>
        </DropdownMenu.Content>
      </DropdownMenu.Portal>
    </DropdownMenu.Root>
  );
}

export { UserMenu, type UserMenuProps };
