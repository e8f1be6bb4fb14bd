import { z } from "zod";
import { shareLevel } from "@/lib/ports/share-level";

// A template version's contents, as written in k8s/templates/*.yaml and in
// the admin's YAML view. Stored whole in TemplateVersion.spec, so a version
// never changes once created.

const slug = z.string().regex(/^[a-z0-9][a-z0-9-]{0,39}$/, { error: "lowercase letters, digits and dashes, at most 40" });
const identifier = z.string().regex(/^[a-z][a-z0-9_]{0,39}$/, { error: "lowercase letters, digits and underscores, starting with a letter" });

/** A resource the user picks: either from options or within min..max. */
const resourceChoice = z
  .object({
    default: z.number().positive(),
    min: z.number().positive().optional(),
    max: z.number().positive().optional(),
    options: z.array(z.number().positive()).min(1).optional(),
  })
  .superRefine((choice, ctx) => {
    if (choice.options && !choice.options.includes(choice.default)) {
      ctx.addIssue({ code: "custom", path: ["default"], message: "must be one of the options" });
    }
    if (choice.min !== undefined && choice.default < choice.min) ctx.addIssue({ code: "custom", path: ["default"], message: "is below min" });
    if (choice.max !== undefined && choice.default > choice.max) ctx.addIssue({ code: "custom", path: ["default"], message: "is above max" });
    if (choice.min !== undefined && choice.max !== undefined && choice.min > choice.max) {
      ctx.addIssue({ code: "custom", path: ["max"], message: "must not be below min" });
    }
  });
export type ResourceChoice = z.infer<typeof resourceChoice>;

const parameterBase = {
  name: identifier,
  label: z.string().min(1),
  description: z.string().default(""),
  /** Immutable parameters are fixed when the workspace is created. */
  mutable: z.boolean().default(true),
};

export const templateParameter = z.discriminatedUnion("type", [
  z.object({
    ...parameterBase,
    type: z.literal("string"),
    default: z.string().default(""),
    options: z.array(z.string()).min(1).optional(),
    pattern: z.string().optional(),
  }),
  z.object({
    ...parameterBase,
    type: z.literal("number"),
    default: z.number(),
    min: z.number().optional(),
    max: z.number().optional(),
  }),
  z.object({ ...parameterBase, type: z.literal("boolean"), default: z.boolean().default(false) }),
]);
export type TemplateParameter = z.infer<typeof templateParameter>;

/** Caches and dependency folders, which a build or an install makes again. */
export const DEFAULT_BACKUP_EXCLUDES = ["node_modules", ".cache", ".npm", ".pnpm-store", ".yarn/cache", "__pycache__", ".venv", ".next/cache", "target", ".gradle", ".m2/repository"];

export const templateSpec = z
  .object({
    slug,
    name: z.string().min(1).max(80),
    description: z.string().max(500).default(""),
    /** A lucide icon name or an image URL. */
    icon: z.string().default("box"),
    tags: z.array(z.string().regex(/^[a-z0-9][a-z0-9.+-]*$/)).default([]),
    image: z.string().regex(/^[\w.-]+(:\d+)?(\/[\w.-]+)*(:[\w.-]+)?(@sha256:[a-f0-9]{64})?$/, {
      error: "expected an image reference like ubuntu:24.04 or ghcr.io/org/image:tag",
    }),
    resources: z.object({
      /** CPU cores. */
      cpu: resourceChoice,
      memoryGiB: resourceChoice,
      diskGiB: resourceChoice,
    }),
    parameters: z.array(templateParameter).default([]),
    env: z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/), z.string()).default({}),
    /** Runs in the home directory at every start, before the IDE. */
    startupScript: z.string().default(""),
    ide: z.object({
      /** argv with {host} and {port} placeholders. */
      command: z.array(z.string()).min(1),
      port: z.number().int().min(1024).max(65535).default(13337),
      healthPath: z.string().startsWith("/").default("/healthz"),
    }),
    /** Ports its apps listen on, listed on the workspace's page before they are up, with who may open each at first. */
    ports: z
      .array(
        z.object({
          port: z.number().int().min(1).max(65535),
          label: z.string().min(1).max(60),
          share: shareLevel.default("owner"),
        }),
      )
      .default([]),
    /** What backups of its workspaces leave out: caches and build outputs, anything that can be made again (restic --exclude patterns, relative to the home). */
    backup: z
      .object({
        exclude: z
          .array(z.string().min(1).max(200).refine((pattern) => !pattern.startsWith("/"), { error: "is relative to the home directory" }))
          .max(100)
          .default(DEFAULT_BACKUP_EXCLUDES),
      })
      .default({ exclude: DEFAULT_BACKUP_EXCLUDES }),
    /** Stops the workspace after this long without terminal input or IDE traffic. */
    idleTimeoutMinutes: z.number().int().min(5).max(7 * 24 * 60).default(60),
    /** Stops it after this long running, active or not. */
    maxLifetimeHours: z.number().int().min(1).max(24 * 30).default(24),
    scheduling: z
      .object({
        imagePullSecrets: z.array(z.string()).optional(),
        nodeSelector: z.record(z.string(), z.string()).optional(),
        tolerations: z
          .array(
            z.object({
              key: z.string().optional(),
              operator: z.enum(["Exists", "Equal"]).optional(),
              value: z.string().optional(),
              effect: z.enum(["NoSchedule", "PreferNoSchedule", "NoExecute"]).optional(),
            }),
          )
          .optional(),
      })
      .optional(),
  })
  .superRefine((spec, ctx) => {
    const seen = new Set<string>();
    spec.parameters.forEach((parameter, index) => {
      if (seen.has(parameter.name)) ctx.addIssue({ code: "custom", path: ["parameters", index, "name"], message: "is used twice" });
      seen.add(parameter.name);
    });
    const ports = new Set<number>();
    spec.ports.forEach(({ port }, index) => {
      if (ports.has(port)) ctx.addIssue({ code: "custom", path: ["ports", index, "port"], message: "is listed twice" });
      if (port === spec.ide.port) ctx.addIssue({ code: "custom", path: ["ports", index, "port"], message: "is the IDE's port" });
      ports.add(port);
    });
  });
export type TemplateSpec = z.infer<typeof templateSpec>;

const TYPE_NAMES: Record<string, string> = { number: "a number", string: "text", boolean: "true or false", array: "a list", object: "a mapping of fields" };

/**
 * What each of zod's own messages says to someone writing a template, e.g.
 * "is required" rather than "Invalid input: expected string, received
 * undefined"; the schema's own messages above come first. Undefined keeps
 * zod's message.
 */
function templateIssueMessage(issue: z.core.$ZodRawIssue): string | undefined {
  switch (issue.code) {
    case "invalid_type":
      if (issue.input === undefined) return "is required";
      return `must be ${TYPE_NAMES[issue.expected] ?? issue.expected}, not ${JSON.stringify(issue.input)}`;
    case "too_small":
      if (issue.origin === "string") return Number(issue.minimum) === 1 ? "must not be empty" : `must be at least ${issue.minimum} characters`;
      if (issue.origin === "array") return `must list at least ${issue.minimum}`;
      return issue.inclusive ? `must be at least ${issue.minimum}` : `must be more than ${issue.minimum}`;
    case "too_big":
      if (issue.origin === "string") return `must be at most ${issue.maximum} characters`;
      if (issue.origin === "array") return `must list at most ${issue.maximum}`;
      return issue.inclusive ? `must be at most ${issue.maximum}` : `must be less than ${issue.maximum}`;
    case "invalid_key":
      return `${JSON.stringify(issue.input)} is not a valid name: letters, digits and underscores, not starting with a digit`;
    default:
      return undefined;
  }
}

/** Validates anything as a template spec, with messages a template's author reads. */
export function safeParseTemplateSpec(input: unknown) {
  return templateSpec.safeParse(input, { error: templateIssueMessage });
}
