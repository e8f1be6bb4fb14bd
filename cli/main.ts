import { parseArgs } from "node:util";
import { PodspaceClient } from "../lib/sdk/client";
import { PodspaceApiError, PodspaceSocketClosedError, WorkspaceNotReadyError } from "../lib/sdk/errors";
import { resolveLocalhostNames } from "../lib/server/localhost-names";
import type { Command } from "./command";
import { login, logout } from "./commands/auth";
import { cp } from "./commands/cp";
import { exec } from "./commands/exec";
import { portForward } from "./commands/port-forward";
import { ssh } from "./commands/ssh";
import { quota, usage } from "./commands/teams";
import { templates } from "./commands/templates";
import { tokensCreate, tokensList, tokensRevoke } from "./commands/tokens";
import { create, events, list, operations, remove } from "./commands/workspaces";
import { credentials } from "./config";
import { CliError, EXIT, usageError, type ExitCode } from "./exit-codes";
import { output } from "./output";

// podspace <command> [arguments] [--json]: finds the command, parses its
// options, runs it, and turns what went wrong into a message on stderr and
// an exit code that says what kind of failure it was.

const COMMANDS: Command[] = [login, logout, templates, list, create, ...operations, remove, events, exec, cp, ssh, portForward, quota, usage, tokensList, tokensCreate, tokensRevoke];

const COMMON_OPTIONS = { json: { type: "boolean" }, help: { type: "boolean", short: "h" } } as const;

function help(): string {
  return [
    "Usage: podspace <command> [arguments] [--json]",
    "",
    "Commands:",
    ...COMMANDS.map((command) => `  ${command.usage}\n      ${command.summary}.`),
    "",
    "Every command takes --json for machine-readable output, and --help.",
    "PODSPACE_URL and PODSPACE_TOKEN override the stored login; PODSPACE_CONFIG says where it is stored.",
    "Exit codes: 0 ok, 1 API error, 2 usage error, 3 not authenticated, 4 not found, 5 workspace not ready (create --wait).",
    "exec exits with its command's code instead: 124 when it timed out, 255 when podspace failed; ssh with its shell's, 255 when podspace failed.",
  ].join("\n");
}

/** The command named by the first one or two words (tokens ls), and the arguments after them. */
function findCommand(argv: string[]): [Command, string[]] | undefined {
  for (const words of [2, 1]) {
    const command = COMMANDS.find((candidate) => candidate.name === argv.slice(0, words).join(" "));
    if (command) return [command, argv.slice(words)];
  }
  return undefined;
}

async function run(argv: string[]): Promise<void> {
  if (argv.length === 0 || argv[0] === "help" || argv[0] === "--help" || argv[0] === "-h") {
    if (argv.length === 0) throw usageError(help());
    console.log(help());
    return;
  }
  const found = findCommand(argv);
  if (!found) throw usageError(`Unknown command: ${argv.slice(0, 2).join(" ")}.\n\n${help()}`);
  const [command, args] = found;
  let parsed;
  try {
    parsed = parseArgs({ args, options: { ...COMMON_OPTIONS, ...command.options }, allowPositionals: true, strict: true });
  } catch (error) {
    throw usageError(`${(error as Error).message}\nUsage: podspace ${command.usage}`);
  }
  if (parsed.values.help) {
    console.log(`Usage: podspace ${command.usage}\n\n${command.summary}.`);
    return;
  }
  const out = output(parsed.values.json === true);
  await command.run({ positionals: parsed.positionals, values: parsed.values, out, client: async () => new PodspaceClient(await credentials()) });
}

/** The exit code and message for what a command threw. */
function failure(error: unknown): { code: ExitCode; message: string; detail?: object } {
  if (error instanceof CliError) return { code: error.exitCode, message: error.message };
  // Which team, when the token reaches several: the command's --team, which every command that acts in a team takes.
  if (error instanceof PodspaceApiError && error.code === "invalid" && error.field === "team") {
    return { code: EXIT.usage, message: `${error.message} Give --team <slug>.`, detail: { code: error.code, status: error.status, field: error.field } };
  }
  if (error instanceof PodspaceApiError) {
    const code = error.code === "unauthenticated" ? EXIT.unauthenticated : error.code === "not_found" ? EXIT.notFound : EXIT.apiError;
    // The message is the one the pages show, written to be read alone; --json adds the code and field for scripts.
    return { code, message: error.message, detail: { code: error.code, status: error.status, ...(error.field ? { field: error.field } : {}) } };
  }
  if (error instanceof WorkspaceNotReadyError) return { code: EXIT.notReady, message: error.message, detail: { workspaceId: error.workspaceId ?? null, outcome: error.outcome } };
  // The server closed a terminal or forwarded port for a reason (the token revoked, the workspace stopped).
  if (error instanceof PodspaceSocketClosedError) return { code: EXIT.apiError, message: error.message, detail: { closeCode: error.code } };
  // fetch fails with a TypeError whose cause says why (refused, DNS, TLS); a WebSocket with the system call's error.
  if (error instanceof TypeError && error.message === "fetch failed") {
    return { code: EXIT.apiError, message: `Can't reach Podspace: ${(error.cause as Error | undefined)?.message ?? error.message}` };
  }
  if (error instanceof Error && "syscall" in error) return { code: EXIT.apiError, message: `Can't reach Podspace: ${error.message}` };
  throw error;
}

// Podspace's default URL, http://podspace.localhost:3000, names the loopback, as the server itself resolves it.
resolveLocalhostNames();
const argv = process.argv.slice(2);
try {
  await run(argv);
} catch (error) {
  const { code, message, detail } = failure(error);
  console.error(argv.includes("--json") ? JSON.stringify({ error: { message, ...detail } }) : `podspace: ${message}`);
  process.exitCode = findCommand(argv)?.[0].failureExitCode ?? code;
}
