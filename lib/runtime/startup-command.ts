import type { WorkspaceSpec } from "./types";

/** Quotes one argument for a POSIX shell. */
export function shellQuote(argument: string): string {
  return /^[\w@%+=:,./-]+$/.test(argument) ? argument : `'${argument.replaceAll("'", `'"'"'`)}'`;
}

/** The IDE's argv with its `{host}` and `{port}` placeholders filled in. */
export function ideArgv(spec: WorkspaceSpec, bind: { host: string; port: number }): string[] {
  return spec.ide.command.map((part) => part.replaceAll("{host}", bind.host).replaceAll("{port}", String(bind.port)));
}

/**
 * The workspace's main process, as `sh -c` argv: the template's startup
 * script, then the IDE exec'd in its place so that stopping the workspace
 * signals the IDE directly. A failing startup script is reported in the log
 * but does not keep the IDE from starting: users can fix things from it.
 */
export function startupCommand(spec: WorkspaceSpec, ide: string[]): string[] {
  const script = spec.startupScript.trim();
  const lines = [
    ...(script ? [`( ${script}\n) || echo "podspace: the startup script failed with exit code $?" >&2`] : []),
    `exec ${ide.map(shellQuote).join(" ")}`,
  ];
  return ["/bin/sh", "-c", lines.join("\n")];
}
