import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import path from "node:path";

// The podspace CLI as a user runs it, for the e2e tests: its launcher as a
// child process, with a config file of its own and no credentials of the
// environment's unless a test gives them.

export const LAUNCHER = path.resolve(import.meta.dirname, "../cli/podspace.mjs");

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface PodspaceCli {
  /** The CLI's environment: its config file, PODSPACE_URL and PODSPACE_TOKEN only as `extra` gives them. */
  env(extra?: Record<string, string>): NodeJS.ProcessEnv;
  /** Starts `podspace <args>` on pipes. */
  start(args: string[], extra?: Record<string, string>): ChildProcessWithoutNullStreams;
  /** Runs `podspace <args>` to its end, `input` its stdin (a pipe, so it is read). */
  run(args: string[], options?: { input?: string; env?: Record<string, string> }): Promise<CliRun>;
}

/** `config()`: the path of the CLI's config file, known once the test file's setup has made it. */
export function podspaceCli(config: () => string): PodspaceCli {
  const env = (extra: Record<string, string> = {}) => {
    const inherited = { ...process.env };
    delete inherited.PODSPACE_URL;
    delete inherited.PODSPACE_TOKEN;
    return { ...inherited, PODSPACE_CONFIG: config(), ...extra };
  };
  const start = (args: string[], extra: Record<string, string> = {}) => spawn(process.execPath, [LAUNCHER, ...args], { env: env(extra) });
  return {
    env,
    start,
    run(args, { input = "", env: extra = {} } = {}) {
      const child = start(args, extra);
      let stdout = "";
      let stderr = "";
      child.stdout.on("data", (chunk) => (stdout += chunk));
      child.stderr.on("data", (chunk) => (stderr += chunk));
      child.stdin.end(input);
      return new Promise((resolve) => child.on("close", (code) => resolve({ code, stdout, stderr })));
    },
  };
}
