"use client";

import * as React from "react";
import { DropdownMenu } from "radix-ui";
import { Check, ChevronsUpDown, Users } from "lucide-react";

import { selectTeamAction } from "@/components/shell/actions";
import { Button } from "@/components/ui/button";
import { toast } from "@/components/ui/toast";
import type { TeamRole } from "@/lib/generated/prisma/enums";
import { ROLE_LABELS } from "@/lib/schemas/teams";

type TeamSwitcherProps = {
  teams: ReadonlyArray<{ slug: string; name: string; role: TeamRole }>;
  selectedSlug: string | null;
};

function TeamSwitcher({ teams, selectedSlug }: TeamSwitcherProps) {
  const [pending, startTransition] = React.useTransition();
  const selected = teams.find((team) => team.slug === selectedSlug) ?? teams[0];

  if (!selected) {
    return (
      <span className="inline-flex h-8 items-center gap-2 px-2 text-sm text-muted-foreground">
        <Users aria-hidden="true" className="size-4" />
        No team
      </span>
    );
  }

  function select(slug: string) {
    if (slug === selected?.slug) return;
    startTransition(async () => {
      const state = await selectTeamAction(slug);
      if (state.status === "error") toast({ title: state.message ?? "Couldn't switch team", variant: "destructive" });
    });
  }

  return (
    <DropdownMenu.Root>
      <DropdownMenu.Trigger asChild>
        <Button
          variant="ghost"
          size="sm"
          aria-label={`Team: ${selected.name}. Switch team`}
          aria-busy={pending || undefined}
          className="max-w-48 gap-1.5"
        >
          <Users aria-hidden="true" className="size-4 text-muted-foreground" />
          <span className="truncate">{selected.name}</span>
          <ChevronsUpDown aria-hidden="true" className="size-3.5 text-muted-foreground" />
        </Button>
      </DropdownMenu.Trigger>
      <DropdownMenu.Portal>
        <DropdownMenu.Content
          align="end"
          sideOffset={6}
          className="z-50 max-h-80 min-w-56 overflow-y-auto rounded-md border bg-popover p-1 text-popover-foreground shadow-md"
        >
          <DropdownMenu.Label className="px-2 py-1.5 text-xs font-medium text-muted-foreground">Teams</DropdownMenu.Label>
          <DropdownMenu.RadioGroup value={selected.slug} onValueChange={select}>
            {teams.map((team) => (
              <DropdownMenu.RadioItem
                key={team.slug}
                value={team.slug}
                className="relative flex cursor-default items-center gap-2 rounded-sm py-1.5 pr-2 pl-8 text-sm outline-none select-none data-[highlighted]:bg-accent data-[highlighted]:text-accent-foreground"
              >
                <DropdownMenu.ItemIndicator className="absolute left-2 inline-flex">
                  <Check aria-hidden="true" className="size-4" />
                </DropdownMenu.ItemIndicator>
                <span className="truncate">{team.name}</span>
                <span className="ml-auto pl-3 text-xs text-muted-foreground">{ROLE_LABELS[team.role]}</span>
              </DropdownMenu.RadioItem>
            ))}
          </DropdownMenu.RadioGroup>
        </DropdownMenu.Content>
      </DropdownMenu.Portal>
    </DropdownMenu.Root>
  );
}

export { TeamSwitcher, type TeamSwitcherProps };
