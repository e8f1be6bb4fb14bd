import type { ReadinessProgress, Workspace, WorkspaceUpdate } from "../../lib/sdk/types";
import { argument, number, pairs, text, type Command, type CommandContext } from "../command";
import { usageError } from "../exit-codes";
import { interruption } from "../interruption";
import { printTable, type Output } from "../output";
import { workspaceId } from "../resolve";

export const list: Command = {
  name: "ls",
  usage: "ls [--team <slug>] [--all]",
  summary: "List your workspaces (--all: everyone's in the teams you look after)",
  options: { team: { type: "string" }, all: { type: "boolean" } },
  async run({ values, out, client }) {
    const sdk = await client();
    const workspaces: Workspace[] = [];
    for await (const workspace of sdk.workspaces.all({ team: text(values, "team"), scope: values.all ? "team" : "mine" })) workspaces.push(workspace);
    out.result(workspaces, () =>
      printTable(
        ["NAME", "STATE", "TEMPLATE", "TEAM", ...(values.all ? ["OWNER"] : []), "CPU", "MEM", "DISK"],
        workspaces.map((workspace) => [
          workspace.name,
          workspace.state,
          workspace.template.slug,
          workspace.team.slug,
          ...(values.all ? [workspace.owner.email] : []),
          String(workspace.resources.cpu),
          `${workspace.resources.memoryGiB} GiB`,
          `${workspace.resources.diskGiB} GiB`,
        ]),
      ),
    );
  },
};

function progressLine(progress: ReadinessProgress): string {
  return progress.type === "state" ? `state ${progress.state}${progress.stateReason ? ` (${progress.stateReason})` : ""}` : `${progress.step}: ${progress.message}`;
}

export const create: Command = {
  name: "create",
  usage: "create <name> --template <slug> [--team <slug>] [--git <url>] [--param name=value]… [--cpu <n>] [--memory <GiB>] [--disk <GiB>] [--wait] [--idempotency-key <key>]",
  summary: "Create a workspace and start it; --wait follows it until it runs (exit 5 if it fails); a retry with the same --idempotency-key gets the same workspace",
  options: {
    template: { type: "string" },
    team: { type: "string" },
    git: { type: "string" },
    param: { type: "string", multiple: true },
    cpu: { type: "string" },
    memory: { type: "string" },
    disk: { type: "string" },
    wait: { type: "boolean" },
    "idempotency-key": { type: "string" },
  },
  async run(context) {
    const { values, out } = context;
    const name = argument(context, "workspace");
    const template = text(values, "template");
    if (!template) throw usageError("Give --template <slug> (podspace templates lists them).");
    const sdk = await context.client();
    const workspace = await sdk.workspaces.create(
      {
        name,
        template,
        team: text(values, "team"),
        gitRepository: text(values, "git"),
        parameters: { cpu: number(values, "cpu"), memoryGiB: number(values, "memory"), diskGiB: number(values, "disk"), values: pairs(values, "param") },
      },
      {
        idempotencyKey: text(values, "idempotency-key"),
        waitUntilReady: values.wait === true,
        // With --json, stdout holds the result alone; the progress goes to stderr as JSON lines.
        onProgress: (progress) => (out.json ? console.error(JSON.stringify(progress)) : out.line(progressLine(progress))),
      },
    );
    out.result(workspace, () => out.line(`Workspace ${workspace.name} (${workspace.id}) is ${workspace.state}.`));
  },
};

type Operation = "start" | "stop" | "restart";

const OPERATIONS: Record<Operation, string> = {
  start: "Start a workspace",
  stop: "Stop a workspace (its home is kept)",
  restart: "Restart a workspace",
};

function operation(name: Operation): Command {
  return {
    name,
    usage: `${name} <name-or-id>`,
    summary: OPERATIONS[name],
    async run(context) {
      const sdk = await context.client();
      const id = await workspaceId(sdk, argument(context, "workspace"));
      requested(context, await sdk.workspaces[name](id), name);
    },
  };
}

function requested({ out }: CommandContext, workspace: Workspace, what: string): void {
  out.result(workspace, () => out.line(`Workspace ${workspace.name}: ${what} requested (now ${workspace.state}, going to ${workspace.desiredState}).`));
}

export const operations = (Object.keys(OPERATIONS) as Operation[]).map(operation);

export const remove: Command = {
  name: "delete",
  usage: "delete <name-or-id> [--without-backup]",
  summary:
    "Delete a workspace and its home volume, after a final backup when backups are on; --without-backup: for one whose final backup failed, go on without it (its home is gone for good)",
  options: { "without-backup": { type: "boolean" } },
  async run(context) {
    const sdk = await context.client();
    const id = await workspaceId(sdk, argument(context, "workspace"));
    requested(context, await sdk.workspaces.delete(id, { skipFinalBackup: context.values["without-backup"] === true }), "delete");
  },
};

function describe(update: WorkspaceUpdate): string {
  switch (update.type) {
    case "state":
      return `${update.workspace.stateChangedAt} state ${update.workspace.state} (desired ${update.workspace.desiredState})${update.workspace.stateReason ? `: ${update.workspace.stateReason}` : ""}`;
    case "event":
      return `${update.event.createdAt} ${update.event.level} ${update.event.step}: ${update.event.message}`;
    case "gone":
      return "The workspace was deleted.";
  }
}

export const events: Command = {
  name: "events",
  usage: "events <name-or-id>",
  summary: "Follow a workspace's state and events until Ctrl-C (or it is deleted)",
  async run(context) {
    const sdk = await context.client();
    const id = await workspaceId(sdk, argument(context, "workspace"));
    for await (const update of sdk.workspaces.events(id, { signal: interruption().signal })) printUpdate(context.out, update);
  },
};

/** One line per update: JSON with --json (a stream of lines, not one document), else for people. */
function printUpdate(out: Output, update: WorkspaceUpdate): void {
  console.log(out.json ? JSON.stringify(update) : describe(update));
}
