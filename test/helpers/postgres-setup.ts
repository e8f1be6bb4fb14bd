import { randomBytes } from "node:crypto";
import { Client } from "pg";
import type { TestProject } from "vitest/node";

// One throwaway PostgreSQL database per test run, dropped afterwards. Tests
// that need more isolation create schemas or further databases from it.

const adminUrl = process.env.PODSPACE_TEST_POSTGRES_URL ?? "postgresql://postgres@127.0.0.1:5432/postgres";

declare module "vitest" {
  export interface ProvidedContext {
    postgresAdminUrl: string;
  }
}

export default async function setup(project: TestProject) {
  const admin = new Client({ connectionString: adminUrl });
  try {
    await admin.connect();
  } catch (error) {
    // The PostgreSQL half of the suite is required, never silently skipped.
    throw new Error(`PostgreSQL for tests is unreachable at ${adminUrl} (set PODSPACE_TEST_POSTGRES_URL): ${error}`);
  }
  await admin.end();
  project.provide("postgresAdminUrl", adminUrl);
}

/** Creates an empty database and returns its URL and a function that drops it. */
export async function createTestDatabase(serverUrl: string) {
  const name = `podspace_test_${randomBytes(6).toString("hex")}`;
  const admin = new Client({ connectionString: serverUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const client = new Client({ connectionString: serverUrl });
      await client.connect();
      await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await client.end();
    },
  };
}
