import { can, type Actor } from "@/lib/authz";
import { getDb } from "@/lib/db/client";
import { AppError, conflictOnUnique } from "@/lib/errors";
import type { Prisma } from "@/lib/generated/prisma/client";
import { templateDenied, templateNotFound, withTemplateRole } from "./access";
import { recordAudit } from "@/lib/audit";
import { canonicalJson } from "./canonical";
import { issuesFromZod, type TemplateIssue } from "./issues";
import { describeIssues } from "./yaml";
import { safeParseTemplateSpec, templateSpec, type TemplateSpec } from "./spec";

// The template catalog: what users browse and template admins edit. A
// template's content lives in immutable versions; saving creates the next one.

/** A spec that failed validation; `issues` name each field (see issues.ts). */
export class TemplateSpecError extends AppError {
  constructor(readonly issues: TemplateIssue[]) {
    super("invalid", `The template is invalid:\n${describeIssues(issues)}`, issues.length === 1 ? issues[0]!.path || undefined : undefined);
  }
}

/** Validates anything as a template spec, throwing TemplateSpecError with field paths. */
export function validateSpec(input: unknown): TemplateSpec {
  const parsed = safeParseTemplateSpec(input);
  if (!parsed.success) throw new TemplateSpecError(issuesFromZod(parsed.error));
  return parsed.data;
}

/**
 * A stored spec, read back in the schema's field order. A version saved
 * under an older schema that no longer validates is returned as stored.
 */
export function readSpec(stored: Prisma.JsonValue): TemplateSpec {
  const parsed = templateSpec.safeParse(stored);
  return parsed.success ? parsed.data : (stored as unknown as TemplateSpec);
}

export const sameSpec = (a: unknown, b: unknown): boolean => canonicalJson(a) === canonicalJson(b);

// ------------------------------------------------------------------ reading

export interface TemplateSummary {
  id: string;
  slug: string;
  name: string;
  description: string;
  icon: string | null;
  tags: string[];
  builtIn: boolean;
  archivedAt: Date | null;
  updatedAt: Date;
}

export interface TemplateCard extends TemplateSummary {
  latestVersion: number;
  resources: TemplateSpec["resources"];
  parameterCount: number;
}

export interface TemplateVersionView {
  id: string;
  version: number;
  changelog: string;
  createdAt: Date;
  createdBy: { id: string; name: string | null; email: string } | null;
}

export interface TemplateDetail extends TemplateSummary {
  latest: TemplateVersionView & { spec: TemplateSpec };
  /** Every version, newest first. */
  versions: TemplateVersionView[];
}

const summarySelect = {
  id: true,
  slug: true,
  name: true,
  description: true,
  icon: true,
  tags: true,
  builtIn: true,
  archivedAt: true,
  updatedAt: true,
} satisfies Prisma.TemplateSelect;

const versionSelect = {
  id: true,
  version: true,
  changelog: true,
  createdAt: true,
  createdBy: { select: { id: true, name: true, email: true } },
} satisfies Prisma.TemplateVersionSelect;

export interface ListTemplatesInput {
  /** Matches name, slug, description or a tag, in any case. */
  search?: string;
  /** Only templates with this tag. */
  tag?: string;
}

/**
 * The catalog for this actor, by name: archived templates only for template
 * admins. Templates without a version (never the case outside a failed
 * write) are left out.
 */
export async function listTemplates(actor: Actor, input: ListTemplatesInput = {}): Promise<TemplateCard[]> {
  const includeArchived = can(await withTemplateRole(actor), "template:manage");
  const search = input.search?.trim().slice(0, 200);
  const tag = input.tag?.trim().toLowerCase();
  const where: Prisma.TemplateWhereInput = {
    ...(includeArchived ? {} : { archivedAt: null }),
    ...(tag ? { tags: { has: tag } } : {}),
    ...(search
      ? {
          OR: [
            { name: { contains: search, mode: "insensitive" } },
            { slug: { contains: search.toLowerCase() } },
            { description: { contains: search, mode: "insensitive" } },
            { tags: { has: search.toLowerCase() } },
          ],
        }
      : {}),
  };
  const templates = await getDb().template.findMany({
    where,
    select: { ...summarySelect, versions: { select: { version: true, spec: true }, orderBy: { version: "desc" }, take: 1 } },
    orderBy: [{ archivedAt: { sort: "asc", nulls: "first" } }, { name: "asc" }],
  });
  return templates.flatMap(({ versions: [latest], ...template }) => {
    if (!latest) return [];
    const spec = readSpec(latest.spec);
    return [{ ...template, latestVersion: latest.version, resources: spec.resources, parameterCount: spec.parameters.length }];
  });
}

/** Every tag of the templates this actor can see, sorted, for the catalog's filter. */
export async function listTemplateTags(actor: Actor): Promise<string[]> {
  const includeArchived = can(await withTemplateRole(actor), "template:manage");
  const rows = await getDb().template.findMany({ where: includeArchived ? {} : { archivedAt: null }, select: { tags: true } });
  return [...new Set(rows.flatMap((row) => row.tags))].sort();
}

/**
 * The template with its latest version and history, or null when there is
 * no such template or it is archived and the actor isn't a template admin.
 */
export async function getTemplate(actor: Actor, slug: string): Promise<TemplateDetail | null> {
  const template = await getDb().template.findUnique({
    where: { slug },
    select: { ...summarySelect, versions: { select: { ...versionSelect, spec: true }, orderBy: { version: "desc" } } },
  });
  if (!template) return null;
  if (template.archivedAt && !can(await withTemplateRole(actor), "template:manage")) return null;
  const { versions, ...summary } = template;
  const [latest] = versions;
  if (!latest) return null;
  return {
    ...summary,
    latest: { ...latest, spec: readSpec(latest.spec) },
    versions: versions.map(({ id, version, changelog, createdAt, createdBy }) => ({ id, version, changelog, createdAt, createdBy })),
  };
}

// ------------------------------------------------------------------ writing

export interface SaveTemplateOptions {
  /**
   * The slug of the template being edited; omit to create a new template.
   * A template's slug never changes: the spec's slug must match it.
   */
  slug?: string;
}

export interface SavedTemplate {
  id: string;
  slug: string;
  name: string;
  version: number;
  versionId: string;
}

function templateData(spec: TemplateSpec) {
  return { name: spec.name, description: spec.description, icon: spec.icon, tags: spec.tags };
}

/**
 * Validates the spec and stores it as the next version of its template
 * (version 1 of a new one), audited with the spec before and after. Versions
 * are never changed afterwards: workspaces stay pinned to theirs.
 */
export async function saveTemplate(actor: Actor, input: unknown, changelog: string, options: SaveTemplateOptions = {}): Promise<SavedTemplate> {
  const templateActor = await withTemplateRole(actor);
  const db = getDb();
  if (!can(templateActor, "template:manage")) {
    const existing = options.slug ? await db.template.findUnique({ where: { slug: options.slug }, select: { archivedAt: true } }) : null;
    throw options.slug ? templateDenied(existing) : new AppError("forbidden", "Only template admins can create templates.");
  }
  const spec = validateSpec(input);
  const note = changelog.trim().slice(0, 500);

  if (!options.slug) {
    const slugTaken = new AppError("conflict", `A template with the slug "${spec.slug}" already exists.`, "slug");
    try {
      return await db.$transaction(async (tx) => {
        if (await tx.template.findUnique({ where: { slug: spec.slug }, select: { id: true } })) throw slugTaken;
        const template = await tx.template.create({ data: { slug: spec.slug, ...templateData(spec) } });
        const version = await tx.templateVersion.create({
          data: { templateId: template.id, version: 1, spec: spec as Prisma.InputJsonValue, changelog: note || "First version", createdById: actor.id },
        });
        await recordAudit(
          { action: "template.created", actorId: actor.id, targetType: "template", targetId: template.id, after: { version: 1, spec: spec as Prisma.InputJsonValue } },
          tx,
        );
        return { id: template.id, slug: template.slug, name: template.name, version: 1, versionId: version.id };
      });
    } catch (error) {
      throw conflictOnUnique(error, slugTaken);
    }
  }

  if (spec.slug !== options.slug) {
    throw new TemplateSpecError([{ path: "slug", message: `can't be changed (this template is "${options.slug}"); create a new template instead` }]);
  }
  return db.$transaction(async (tx) => {
    // The row lock makes concurrent saves of one template take turns, so each gets its own version number.
    const [locked] = await tx.$queryRaw<Array<{ id: string }>>`SELECT "id" FROM "Template" WHERE "slug" = ${options.slug} FOR UPDATE`;
    if (!locked) throw templateNotFound();
    const latest = await tx.templateVersion.findFirst({ where: { templateId: locked.id }, orderBy: { version: "desc" } });
    if (latest && sameSpec(readSpec(latest.spec), spec)) {
      throw new AppError("invalid", `Nothing changed since version ${latest.version}.`);
    }
    const number = (latest?.version ?? 0) + 1;
    const template = await tx.template.update({ where: { id: locked.id }, data: templateData(spec) });
    const version = await tx.templateVersion.create({
      data: { templateId: template.id, version: number, spec: spec as Prisma.InputJsonValue, changelog: note, createdById: actor.id },
    });
    await recordAudit(
      {
        action: "template.version-created",
        actorId: actor.id,
        targetType: "template", targetId: template.id,
        before: latest ? { version: latest.version, spec: latest.spec as Prisma.InputJsonValue } : null,
        after: { version: number, spec: spec as Prisma.InputJsonValue, changelog: note },
      },
      tx,
    );
    return { id: template.id, slug: template.slug, name: template.name, version: number, versionId: version.id };
  });
}

/**
 * Archives or restores a template. Archived templates leave the catalog
 * (template admins still see them); workspaces built from them keep running.
 */
export async function setTemplateArchived(actor: Actor, input: { templateId: string; archived: boolean }): Promise<TemplateSummary> {
  const templateActor = await withTemplateRole(actor);
  const db = getDb();
  if (!can(templateActor, "template:manage")) {
    throw templateDenied(await db.template.findUnique({ where: { id: input.templateId }, select: { archivedAt: true } }));
  }
  return db.$transaction(async (tx) => {
    const template = await tx.template.findUnique({ where: { id: input.templateId }, select: summarySelect });
    if (!template) throw templateNotFound();
    const wasArchived = template.archivedAt !== null;
    if (wasArchived === input.archived) return template;
    const updated = await tx.template.update({
      where: { id: template.id },
      data: { archivedAt: input.archived ? new Date() : null },
      select: summarySelect,
    });
    await recordAudit(
      {
        action: input.archived ? "template.archived" : "template.unarchived",
        actorId: actor.id,
        targetType: "template", targetId: template.id,
        before: { archived: wasArchived },
        after: { archived: input.archived },
      },
      tx,
    );
    return updated;
  });
}

export const archiveTemplate = (actor: Actor, templateId: string) => setTemplateArchived(actor, { templateId, archived: true });
export const unarchiveTemplate = (actor: Actor, templateId: string) => setTemplateArchived(actor, { templateId, archived: false });
