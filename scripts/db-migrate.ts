// `npm run db:migrate`: applies pending migrations to the configured database
// (DATABASE_URL, or the embedded one in PODSPACE_DATA_DIR) and exits.
import { closeDb, databaseTarget } from "@/lib/db/client";
import { MigrationError } from "@/lib/db/migrate";
import { prepareDatabase } from "@/lib/db/prepare";
import { ConfigError } from "@/lib/env";

try {
  const applied = await prepareDatabase(databaseTarget());
  console.log(applied.length > 0 ? `Applied ${applied.join(", ")}` : "Database is up to date");
} catch (error) {
  console.error(error instanceof ConfigError || error instanceof MigrationError ? error.message : error);
  process.exitCode = 1;
} finally {
  await closeDb();
}
