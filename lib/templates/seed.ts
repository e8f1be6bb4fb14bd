import fs from "node:fs/promises";
import path from "node:path";
import { getDb } from "@/lib/db/client";
import type { Prisma, PrismaClient } from "@/lib/generated/prisma/client";
import { recordAudit } from "@/lib/audit";
import { readSpec, sameSpec } from "./catalog";
import { describeIssues, parseTemplateYaml } from "./yaml";
import type { TemplateSpec } from "./spec";

// The built-in templates ship as YAML in k8s/templates and are written to
// the database at startup. Not imported by pages: it reads files relative to
// the working directory, which is the project root for server.ts and tests.

export const BUILT_IN_TEMPLATES_DIR = path.join("k8s", "templates");

/**
 * Every seeding transaction takes this advisory lock, so concurrent starts
 * seed one at a time. Hashed from a name, like the first-admin lock in
 * lib/auth/adapter.ts, so it can't collide with the leader lock's fixed key.
 */
const SEED_LOCK_NAME = "podspace.template-seed";

export interface BuiltInTemplate {
  file: string;
  spec: TemplateSpec;
}

/** A built-in template file that doesn't validate; the message lists each field with its line. */
export class BuiltInTemplateError extends Error {
  override name = "BuiltInTemplateError";
}

/** Reads and validates every *.yaml in the directory, by file name; throws on the first invalid file. */
export async function loadBuiltInTemplates(dir: string = path.resolve(BUILT_IN_TEMPLATES_DIR)): Promise<BuiltInTemplate[]> {
  const files = (await fs.readdir(dir)).filter((file) => /\.ya?ml$/.test(file)).sort();
  const templates: BuiltInTemplate[] = [];
  for (const file of files) {
    const parsed = parseTemplateYaml(await fs.readFile(path.join(dir, file), "utf8"));
    if (!parsed.ok) throw new BuiltInTemplateError(`${path.join(dir, file)} is not a valid template:\n${describeIssues(parsed.issues)}`);
    templates.push({ file, spec: parsed.spec });
  }
  const slugs = new Map<string, string>();
  for (const { file, spec } of templates) {
    const other = slugs.get(spec.slug);
    if (other) throw new BuiltInTemplateError(`${file} and ${other} both use the slug "${spec.slug}"`);
    slugs.set(spec.slug, file);
  }
  return templates;
}

export interface SeedResult {
  created: string[];
  /** Slugs that got a new version because their file changed. */
  updated: string[];
  unchanged: string[];
  /** Slugs taken by a template an admin created; the built-in one is not installed. */
  skipped: string[];
}

type Db = Pick<PrismaClient, "$transaction">;

/**
 * Installs the built-in templates: creates missing ones, and adds a version
 * to one whose file changed since it was last seeded. Versions seeded from
 * files have no author; an admin's later edit stays the latest version until
 * the file itself changes again. Idempotent, audited (actor: the system),
 * and safe when several processes start at once: they take turns on an
 * advisory lock, and whoever comes second finds nothing to do.
 *
 * Call from server.ts after migrations: `await seedBuiltInTemplates()`.
 */
export async function seedBuiltInTemplates(
  db: Db = getDb(),
  options: { templates?: BuiltInTemplate[]; dir?: string } = {},
): Promise<SeedResult> {
  const templates = options.templates ?? (await loadBuiltInTemplates(options.dir));
  const result: SeedResult = { created: [], updated: [], unchanged: [], skipped: [] };
  await db.$transaction(
    async (tx) => {
      await tx.$queryRaw`SELECT 1 AS locked FROM (SELECT pg_advisory_xact_lock(hashtext(${SEED_LOCK_NAME}))) AS seed_lock`;
      for (const { file, spec } of templates) {
        result[await seedOne(tx, file, spec)].push(spec.slug);
      }
    },
    // Waiting out another process's seeding is part of the work.
    { maxWait: 30_000, timeout: 60_000 },
  );
  return result;
}

async function seedOne(tx: Prisma.TransactionClient, file: string, spec: TemplateSpec): Promise<keyof SeedResult> {
  const json = spec as Prisma.InputJsonValue;
  const data = { name: spec.name, description: spec.description, icon: spec.icon, tags: spec.tags };
  const existing = await tx.template.findUnique({ where: { slug: spec.slug }, select: { id: true, builtIn: true } });

  if (!existing) {
    const template = await tx.template.create({ data: { slug: spec.slug, builtIn: true, ...data } });
    await tx.templateVersion.create({
      data: { templateId: template.id, version: 1, spec: json, changelog: `Built-in template from ${file}` },
    });
    await recordAudit({ action: "template.created", actorId: null, targetType: "template", targetId: template.id, after: { version: 1, spec: json, file } }, tx);
    return "created";
  }
  if (!existing.builtIn) return "skipped";

  const versions = await tx.templateVersion.findMany({
    where: { templateId: existing.id },
    select: { version: true, spec: true, createdById: true },
    orderBy: { version: "desc" },
  });
  const latest = versions[0];
  const lastSeeded = versions.find((version) => version.createdById === null);
  if (lastSeeded && sameSpec(readSpec(lastSeeded.spec), spec)) return "unchanged";
  if (latest && sameSpec(readSpec(latest.spec), spec)) return "unchanged";

  const number = (latest?.version ?? 0) + 1;
  await tx.templateVersion.create({
    data: { templateId: existing.id, version: number, spec: json, changelog: `Updated from ${file}` },
  });
  await tx.template.update({ where: { id: existing.id }, data });
  await recordAudit(
    {
      action: "template.version-created",
      actorId: null,
      targetType: "template", targetId: existing.id,
      before: latest ? { version: latest.version, spec: latest.spec as Prisma.InputJsonValue } : null,
      after: { version: number, spec: json, file },
    },
    tx,
  );
  return "updated";
}
