import { Client } from "pg";

/** One query on a fresh connection: e2e tests read and seed the server's PostgreSQL database directly. */
export async function query<T>(url: string, text: string, params: unknown[] = []): Promise<T[]> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(text, params)).rows as T[];
  } finally {
    await client.end();
  }
}
