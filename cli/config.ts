import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { CliError, EXIT } from "./exit-codes";

// Where the CLI keeps the URL and token that `podspace login` checked:
// $PODSPACE_CONFIG, or ~/.config/podspace/config.json, readable by its owner
// only (the token is a secret). PODSPACE_URL and PODSPACE_TOKEN override it,
// for CI that has them as secrets and never logs in.

export interface Credentials {
  url: string;
  token: string;
}

export function configPath(): string {
  return process.env.PODSPACE_CONFIG || path.join(process.env.XDG_CONFIG_HOME || path.join(os.homedir(), ".config"), "podspace", "config.json");
}

async function readConfig(): Promise<Partial<Credentials>> {
  try {
    return JSON.parse(await fs.readFile(configPath(), "utf8")) as Partial<Credentials>;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return {};
    throw new CliError(EXIT.usage, `Can't read ${configPath()}: ${(error as Error).message}`);
  }
}

export async function saveCredentials(credentials: Credentials): Promise<string> {
  const file = configPath();
  await fs.mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  await fs.writeFile(file, `${JSON.stringify(credentials, null, 2)}\n`, { mode: 0o600 });
  // writeFile's mode applies only to a new file; one left by an older login may be wider.
  await fs.chmod(file, 0o600);
  return file;
}

/** Forgets the stored credentials; true if there were any. */
export async function removeCredentials(): Promise<boolean> {
  try {
    await fs.unlink(configPath());
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return false;
    throw error;
  }
}

/** The URL and token to use: the environment's, else the stored ones. */
export async function credentials(): Promise<Credentials> {
  const stored = await readConfig();
  const url = process.env.PODSPACE_URL || stored.url;
  const token = process.env.PODSPACE_TOKEN || stored.token;
  if (!url || !token) {
    throw new CliError(EXIT.unauthenticated, "Not logged in: run podspace login --url <url> --token <token>, or set PODSPACE_URL and PODSPACE_TOKEN.");
  }
  return { url, token };
}
