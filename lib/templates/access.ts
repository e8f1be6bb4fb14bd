import { can, type Actor } from "@/lib/authz";
import { getDb } from "@/lib/db/client";
import { AppError } from "@/lib/errors";

/** An actor whose template-admin flag is known. */
export type TemplateActor = Actor & { isTemplateAdmin: boolean };

/**
 * The actor with their template-admin flag, read from the database when the
 * caller's actor doesn't carry it (lib/auth/current-user.ts does not load it
 * yet). Every template module passes actors through this before asking `can`.
 */
export async function withTemplateRole(actor: Actor): Promise<TemplateActor> {
  if (actor.isTemplateAdmin !== undefined) return actor as TemplateActor;
  const user = await getDb().user.findUnique({ where: { id: actor.id }, select: { isTemplateAdmin: true } });
  return { ...actor, isTemplateAdmin: user?.isTemplateAdmin ?? false };
}

/** Whether the actor may create, edit and archive templates (and see archived ones). */
export async function managesTemplates(actor: Actor): Promise<boolean> {
  return can(await withTemplateRole(actor), "template:manage");
}

const TEMPLATE_ADMINS_ONLY = "Only template admins can change templates.";

/**
 * Refuses anyone but template admins, whatever template they name: for
 * checks made before the request is read (a template's YAML is costly to
 * parse). Returns the actor with their role.
 */
export async function assertManagesTemplates(actor: Actor): Promise<TemplateActor> {
  const templateActor = await withTemplateRole(actor);
  if (!can(templateActor, "template:manage")) throw new AppError("forbidden", TEMPLATE_ADMINS_ONLY);
  return templateActor;
}

export function templateNotFound(): AppError {
  return new AppError("not_found", "Template not found.");
}

/**
 * Refusal for a template change: "not found" when the actor can't see the
 * template at all (archived ones are hidden from everyone but template
 * admins), "forbidden" when they can see it in the catalog.
 */
export function templateDenied(template: { archivedAt: Date | null } | null): AppError {
  return !template || template.archivedAt ? templateNotFound() : new AppError("forbidden", TEMPLATE_ADMINS_ONLY);
}
