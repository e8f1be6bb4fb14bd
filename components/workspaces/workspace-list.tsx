import Link from "next/link";

import { Badge } from "@/components/ui/badge";
import { Table, TableBody, TableCell, TableHead, TableHeader, TableRow } from "@/components/ui/table";
import { formatNumber } from "@/lib/format";
import type { WorkspaceListItem } from "@/lib/workspaces/list-workspaces";
import { SelectAllCheckbox } from "./bulk-stop";
import { StateBadge } from "./state-badge";
import { WorkspaceActions } from "./workspace-actions";
import { failureReason, formatRelative, updateOffer } from "./workspace-format";

type WorkspaceListProps = {
  workspaces: WorkspaceListItem[];
  /** The team view shows whose each workspace is. */
  showOwner: boolean;
  /** For users in several teams, the list says which team each workspace is in. */
  showTeam: boolean;
  /** The id of a bulk-stop form: running workspaces get a checkbox that joins it. */
  bulkStopForm?: string;
};

function WorkspaceList({ workspaces, showOwner, showTeam, bulkStopForm }: WorkspaceListProps) {
  return (
    <Table aria-label="Workspaces">
      <TableHeader>
        <TableRow>
          {bulkStopForm ? (
            <TableHead className="w-8">
              <SelectAllCheckbox formId={bulkStopForm} />
            </TableHead>
          ) : null}
          <TableHead>Name</TableHead>
          <TableHead>Status</TableHead>
          {showOwner ? <TableHead>Owner</TableHead> : null}
          <TableHead>Template</TableHead>
          <TableHead>Resources</TableHead>
          <TableHead>Last activity</TableHead>
          <TableHead>
            <span className="sr-only">Actions</span>
          </TableHead>
        </TableRow>
      </TableHeader>
      <TableBody>
        {workspaces.map((workspace) => (
          <TableRow key={workspace.id} data-workspace={workspace.name}>
            {bulkStopForm ? (
              <TableCell>
                {workspace.canOperate && workspace.desiredState === "RUNNING" ? (
                  <input
                    type="checkbox"
                    name="workspaceId"
                    value={workspace.id}
                    form={bulkStopForm}
                    aria-label={`Select ${workspace.name}`}
                    className="size-4 accent-primary"
                  />
                ) : null}
              </TableCell>
            ) : null}
            <TableCell>
              <div className="flex flex-col gap-0.5">
                <Link
                  href={`/workspaces/${workspace.id}`}
                  className="font-medium underline-offset-4 outline-none hover:underline focus-visible:underline"
                >
                  {workspace.name}
                </Link>
                {showTeam ? <span className="text-xs text-muted-foreground">{workspace.team.name}</span> : null}
              </div>
            </TableCell>
            <TableCell>
              <div className="flex flex-col gap-1">
                <StateBadge state={workspace.state} desiredState={workspace.desiredState} />
                {workspace.state === "FAILED" ? (
                  <span className="text-xs text-destructive">{failureReason(workspace.stateReason)}</span>
                ) : null}
              </div>
            </TableCell>
            {showOwner ? (
              <TableCell>
                <div className="flex flex-col">
                  <span>{workspace.owner.name ?? workspace.owner.email}</span>
                  {workspace.owner.name ? <span className="text-xs text-muted-foreground">{workspace.owner.email}</span> : null}
                </div>
              </TableCell>
            ) : null}
            <TableCell>
              <div className="flex flex-wrap items-center gap-1.5">
                <span>
                  {workspace.template.name} <span className="text-muted-foreground">v{workspace.template.version}</span>
                </span>
                {workspace.template.latestVersion > workspace.template.version ? (
                  <Badge variant="warning" title={`Version ${workspace.template.latestVersion} of ${workspace.template.name} is available`}>
                    Update available
                  </Badge>
                ) : null}
              </div>
            </TableCell>
            <TableCell className="whitespace-nowrap text-muted-foreground tabular-nums">
              {formatNumber(workspace.resources.cpu)} CPU · {formatNumber(workspace.resources.memoryGiB)} GiB ·{" "}
              {formatNumber(workspace.resources.diskGiB)} GiB disk
            </TableCell>
            <TableCell className="whitespace-nowrap text-muted-foreground">
              <time dateTime={(workspace.lastActivityAt ?? workspace.stateChangedAt).toISOString()}>
                {formatRelative(workspace.lastActivityAt ?? workspace.stateChangedAt)}
              </time>
            </TableCell>
            <TableCell className="text-right">
              {workspace.canOperate ? (
                <WorkspaceActions
                  workspace={{ id: workspace.id, name: workspace.name, state: workspace.state, desiredState: workspace.desiredState }}
                  update={updateOffer(workspace.template)}
                />
              ) : null}
            </TableCell>
          </TableRow>
        ))}
      </TableBody>
    </Table>
  );
}

export { WorkspaceList };
