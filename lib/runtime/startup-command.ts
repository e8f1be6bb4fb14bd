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
 * With `waitFor`, both wait until that file exists: the workspace (and its
 * terminal) runs while the IDE is still being installed.
 */
export function startupCommand(spec: WorkspaceSpec, ide: string[], options: { waitFor?: string } = {}): string[] {
  const script = spec.startupScript.trim();
  const lines = [
    // First, so that startup scripts that use the IDE (installing extensions) find it.
    ...(options.waitFor ? [`until [ -x ${shellQuote(options.waitFor)} ]; do sleep 0.2; done`] : []),
    ...(script ? [`( ${script}\n) || echo "podspace: the startup script failed with exit code $?" >&2`] : []),
    `exec ${ide.map(shellQuote).join(" ")}`,
  ];
  return ["/bin/sh", "-c", lines.join("\n")];
}
