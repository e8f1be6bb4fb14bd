import type { ParseArgsOptionsConfig } from "node:util";
import type { PodspaceClient } from "../lib/sdk/client";
import { usageError, type ExitCode } from "./exit-codes";
import type { Output } from "./output";

// What every command is: its words ("ls", "tokens create"), how it is used,
// its options (node:util parseArgs's), and what it does with them.

export type OptionValues = Record<string, string | boolean | string[] | undefined>;

export interface CommandContext {
  positionals: string[];
  values: OptionValues;
  out: Output;
  /** A client with the stored (or environment's) credentials; throws "not logged in" without them. */
  client(): Promise<PodspaceClient>;
}

export interface Command {
  name: string;
  usage: string;
  summary: string;
  options?: ParseArgsOptionsConfig;
  /** The exit code of every failure, for a command whose other exit codes are not podspace's own (exec's are its command's, ssh's its shell's). */
  failureExitCode?: ExitCode;
  run(context: CommandContext): Promise<void>;
}

/** The one positional argument a command takes, e.g. the workspace's name. */
export function argument(context: CommandContext, what: string): string {
  const [value, ...extra] = context.positionals;
  if (value === undefined) throw usageError(`Name the ${what}.`);
  if (extra.length > 0) throw usageError(`Unexpected arguments: ${extra.join(" ")}.`);
  return value;
}

export function text(values: OptionValues, name: string): string | undefined {
  const value = values[name];
  return typeof value === "string" ? value : undefined;
}

export function texts(values: OptionValues, name: string): string[] {
  const value = values[name];
  return Array.isArray(value) ? value : [];
}

export function number(values: OptionValues, name: string): number | undefined {
  const value = text(values, name);
  if (value === undefined) return undefined;
  const parsed = Number(value);
  if (value.trim() === "" || !Number.isFinite(parsed)) throw usageError(`--${name} takes a number, not ${value}.`);
  return parsed;
}

/** A repeated name=value option (--param, --env) as a record; undefined when not given. */
export function pairs(values: OptionValues, name: string): Record<string, string> | undefined {
  const given = texts(values, name);
  if (given.length === 0) return undefined;
  return Object.fromEntries(
    given.map((pair) => {
      const equals = pair.indexOf("=");
      if (equals <= 0) throw usageError(`--${name} takes name=value, not ${pair}.`);
      return [pair.slice(0, equals), pair.slice(equals + 1)];
    }),
  );
}
