import { z } from "zod";
import { newestFirstCursor } from "@/lib/pagination/newest-first";
import { teamSlugSchema } from "./teams";

// The audit log's filters, from the page's query string, and the page's
// cursor. Every field is optional; an empty one doesn't filter.

const empty = (value: unknown) => (typeof value === "string" && value.trim() === "" ? undefined : value);
const optional = <T extends z.ZodType>(schema: T) => z.preprocess(empty, schema.optional());

const day = z.iso.date({ error: "Enter a date as YYYY-MM-DD." });

export const AUDIT_PAGE_SIZE = 50;

export const auditFilterSchema = z
  .object({
    actor: optional(z.string().trim().max(254, { error: "Use at most 254 characters." })),
    action: optional(z.string().trim().regex(/^[a-z-]+\.[a-z-]+$/, { error: "Choose an action from the list." })),
    team: optional(teamSlugSchema),
    from: optional(day),
    to: optional(day),
    cursor: newestFirstCursor,
  })
  .refine((filter) => !filter.from || !filter.to || filter.from <= filter.to, { error: "The start date is after the end date.", path: ["to"] });
export type AuditFilter = z.output<typeof auditFilterSchema>;
