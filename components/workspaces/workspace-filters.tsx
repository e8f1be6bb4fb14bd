import Form from "next/form";
import { Search } from "lucide-react";

import { Button } from "@/components/ui/button";
import { Input } from "@/components/ui/input";
import { Label } from "@/components/ui/label";
import { Select } from "@/components/ui/select";
import type { WorkspaceStateFilter } from "@/lib/schemas/workspaces";

const STATE_LABELS: Record<WorkspaceStateFilter, string> = {
  all: "All states",
  running: "Running",
  stopped: "Stopped",
  failed: "Failed",
  "in-progress": "In progress",
};

type WorkspaceFiltersProps = {
  /** The list's path, which the search goes to. */
  basePath: string;
  /** The team tab searches owners too, and stays on the team tab. */
  team: boolean;
  q: string;
  state: WorkspaceStateFilter;
};

/** The workspace list's search and state filter: a GET form, so each search is a URL of its own. */
function WorkspaceFilters({ basePath, team, q, state }: WorkspaceFiltersProps) {
  return (
    // Keyed by what it shows, so that following a link to other filters shows theirs.
    <Form key={`${team}|${q}|${state}`} action={basePath} role="search" aria-label="Search workspaces" className="flex flex-wrap items-end gap-2">
      {team ? <input type="hidden" name="scope" value="team" /> : null}
      <div className="flex flex-col gap-2">
        <Label htmlFor="workspace-search">Search</Label>
        <Input
          id="workspace-search"
          name="q"
          type="search"
          defaultValue={q}
          placeholder={team ? "Name, owner or template" : "Name or template"}
          className="w-64"
        />
      </div>
      <div className="flex w-40 flex-col gap-2">
        <Label htmlFor="workspace-state">State</Label>
        <Select id="workspace-state" name="state" defaultValue={state}>
          {Object.entries(STATE_LABELS).map(([value, label]) => (
            <option key={value} value={value}>
              {label}
            </option>
          ))}
        </Select>
      </div>
      <Button type="submit" variant="secondary">
        <Search aria-hidden="true" />
        Search
      </Button>
    </Form>
  );
}

export { WorkspaceFilters };
