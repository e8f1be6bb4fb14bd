// The argv that runs an exec's command (types.ts ExecOptions) in its
// directory with its environment additions, the same in every runtime: a
// POSIX sh is in every image, whereas `env --chdir` is not. Names and values
// are passed as arguments, never spliced into the script, so nothing in
// them is interpreted by the shell.

/**
 * $1: the directory ("" for $HOME), relative to $HOME (a pod's working
 * directory is its image's, not necessarily the home); $2: how many
 * NAME=value follow; then those; then the command.
 */
const SCRIPT = 'cd -- "$HOME" 2>/dev/null; cd -- "${1:-.}" || exit 126; n=$2; shift 2; while [ "$n" -gt 0 ]; do export "$1"; shift; n=$((n - 1)); done; exec "$@"';

export function commandWithin(options: { cwd?: string; env?: Record<string, string> }, command: string[]): string[] {
  const env = Object.entries(options.env ?? {}).map(([name, value]) => `${name}=${value}`);
  return ["/bin/sh", "-c", SCRIPT, "sh", options.cwd ?? "", String(env.length), ...env, ...command];
}
