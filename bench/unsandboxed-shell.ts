import { workspaceEnv } from "@/lib/runtime/local/clean-env";
import { spawnShell } from "@/lib/runtime/local/terminal";
import type { TerminalOptions, TerminalSession } from "@/lib/runtime/types";

// The benchmark's baseline for what the workspace sandbox costs: a shell
// opened exactly as the local runtime opens one (its node-pty spawn, its
// clean environment, a login bash) minus the sandbox, i.e. bash started
// directly on the host as this process's user, with `home` as its HOME.
// Only bench/ builds one: nothing in Podspace can open a shell outside the
// sandbox.
export function unsandboxedShell(home: string, options: TerminalOptions): TerminalSession {
  return spawnShell({ ...options, command: ["/bin/bash", "-l"], env: workspaceEnv({ home }) });
}
