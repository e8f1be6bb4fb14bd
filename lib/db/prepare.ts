import { ConfigError, redact } from "@/lib/env";
import { migrate, readMigrations } from "./migrate";
import { withSqlSession, type DatabaseTarget } from "./sql";

/**
 * Connects and applies pending migrations; what startup and `npm run
 * db:migrate` both run. Connection failures are rethrown with a message that
 * names the setting to fix and never contains the password.
 */
export async function prepareDatabase(target: DatabaseTarget): Promise<string[]> {
  const migrations = await readMigrations();
  return withSqlSession(target, (session) => migrate(session, migrations)).catch((error: unknown) => {
    throw target.kind === "postgres" && isConnectionError(error)
      ? new ConfigError(`DATABASE_URL: cannot connect to ${redact(target.url)} (${describe(error)})`, { cause: error })
      : error;
  });
}

function isConnectionError(error: unknown): boolean {
  const code = (error as { code?: string }).code ?? "";
  // Node socket errors, and PostgreSQL's classes 08 (connection), 28 (auth) and 3D000 (no such database).
  return /^E[A-Z]+$/.test(code) || /^(08|28)/.test(code) || code === "3D000" || /timeout/i.test(String(error));
}

function describe(error: unknown): string {
  const { code, message } = error as { code?: string; message?: string };
  return [code, message].filter(Boolean).join(": ");
}
