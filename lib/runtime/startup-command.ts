import type { WorkspaceSpec } from "./types";

/** Quotes one argument for a POSIX shell. */
export function shellQuote(argument: string): string {
  return /^[\w@%+=:,./-]+$/.test(argument) ? argument : `'${argument.replaceAll("'", `'"'"'`)}'`;
}

/** The IDE's argv with its `{host}` and `{port}` placeholders filled in. */
export function ideArgv(spec: WorkspaceSpec, bind: { host: string; port: number }): string[] {
  return spec.ide.command.map((part) => part.replaceAll("{host}", bind.host).replaceAll("{port}", String(bind.port)));
}

/** The lines the workspace's main process writes to its log around the template's startup script. */
const SCRIPT_STARTED = "podspace: running the startup script";
const SCRIPT_FAILED = "podspace: the startup script failed with exit code";

/**
 * A failed startup script in `log` (what the workspace's main process wrote
 * since it started): its exit code and the output that led up to it, as a
 * warning's message ("summary\noutput"). Null when the script succeeded, or
 * hasn't ended yet.
 */
export function startupScriptWarning(log: string): string | null {
  const lines = log.split("\n");
  const failed = lines.findLastIndex((line) => line.startsWith(SCRIPT_FAILED));
  if (failed === -1) return null;
  const code = lines[failed]!.slice(SCRIPT_FAILED.length).trim();
  // Its own output only: the sandbox's setup writes to the same log before it.
  const started = lines.findLastIndex((line, index) => index < failed && line === SCRIPT_STARTED);
  const output = lines.slice(Math.max(started + 1, failed - 20), failed).join("\n").trimEnd();
  return `The template's startup script failed with exit code ${code}; the IDE started all the same.${output ? `\n${output}` : ""}`;
}

/**
 * The workspace's main process, as `sh -c` argv: the template's startup
 * script, then the IDE exec'd in its place so that stopping the workspace
 * signals the IDE directly. A failing startup script is reported in the log
 * (and from there as a warning: startupScriptWarning) but does not keep the
 * IDE from starting: users can fix things from it.
 * With `waitFor`, both wait until that file exists: the workspace (and its
 * terminal) runs while the IDE is still being installed.
 */
export function startupCommand(spec: WorkspaceSpec, ide: string[], options: { waitFor?: string } = {}): string[] {
  const script = spec.startupScript.trim();
  const lines = [
    // First, so that startup scripts that use the IDE (installing extensions) find it.
    ...(options.waitFor ? [`until [ -x ${shellQuote(options.waitFor)} ]; do sleep 0.2; done`] : []),
    ...(script ? [`echo "${SCRIPT_STARTED}" >&2`, `( ${script}\n) || echo "${SCRIPT_FAILED} $?" >&2`] : []),
    `exec ${ide.map(shellQuote).join(" ")}`,
  ];
  return ["/bin/sh", "-c", lines.join("\n")];
}
