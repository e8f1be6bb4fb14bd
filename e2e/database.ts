import { randomUUID } from "node:crypto";
import { Client } from "pg";
import { RECONCILE_WAKEUP_CHANNEL } from "@/lib/workspaces/reconcile-wakeups";

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

/** Adds a template with one version, as an admin would through the catalog. */
export async function insertTemplate(url: string, spec: { slug: string; name: string; description: string }): Promise<void> {
  const templateId = randomUUID();
  await query(url, `INSERT INTO "Template" (id, slug, name, description, tags, "updatedAt") VALUES ($1, $2, $3, $4, '{}', now())`, [
    templateId,
    spec.slug,
    spec.name,
    spec.description,
  ]);
  await query(url, `INSERT INTO "TemplateVersion" (id, "templateId", version, spec) VALUES ($1, $2, 1, $3)`, [randomUUID(), templateId, JSON.stringify(spec)]);
}

/** Wakes the server's reconciler for a workspace seeded in SQL, as a replica does after a user's change. */
export async function wakeReconciler(url: string, workspaceId: string): Promise<void> {
  await query(url, `SELECT pg_notify($1, $2)`, [RECONCILE_WAKEUP_CHANNEL, workspaceId]);
}
