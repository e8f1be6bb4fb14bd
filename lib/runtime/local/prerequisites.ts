import { accessSync, constants } from "node:fs";
import path from "node:path";

// What the local runtime needs from the machine besides Node.js and npm,
// checked up front so a missing piece is named with the command that adds
// it (in the log at startup, on /admin/health and on the workspace page)
// instead of surfacing minutes later as a failed build.

/** Commands code-server's native modules are built with (node-gyp). */
const BUILD_TOOLS = [
  { command: "c++", debianPackage: "g++" },
  { command: "make", debianPackage: "make" },
  { command: "python3", debianPackage: "python3" },
] as const;

/** What gives a workspace outbound network (egress.ts); without it, workspaces run offline. */
const EGRESS_TOOLS = [{ command: "slirp4netns", debianPackage: "slirp4netns" }] as const;

export interface MissingTool {
  command: string;
  debianPackage: string;
}

function onPath(command: string): boolean {
  return (process.env.PATH ?? "").split(":").some((dir) => {
    try {
      accessSync(path.join(dir || ".", command), constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

const missingOf = (tools: readonly MissingTool[]) => tools.filter((tool) => !onPath(tool.command));

export const missingBuildTools = () => missingOf(BUILD_TOOLS);
export const missingEgressTools = () => missingOf(EGRESS_TOOLS);

/** One line naming what is missing and the command that installs it. */
export function installHint(missing: readonly MissingTool[], purpose: string): string {
  const commands = missing.map((tool) => tool.command).join(", ");
  const packages = [...new Set(missing.map((tool) => tool.debianPackage))].join(" ");
  return `${purpose} needs ${commands}, missing on this machine; install with: sudo apt-get install -y ${packages}`;
}

export const buildToolsHint = (missing: readonly MissingTool[]) => installHint(missing, "building code-server's native modules");
export const egressToolsHint = (missing: readonly MissingTool[]) => installHint(missing, "outbound network from workspaces");
