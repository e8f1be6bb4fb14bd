import type { Metadata } from "next";
import Form from "next/form";
import Link from "next/link";
import { notFound } from "next/navigation";
import { ScrollText } from "lucide-react";

import { FormField } from "@/components/forms/form-field";
import { Button } from "@/components/ui/button";
import { EmptyState } from "@/components/ui/empty-state";
import { Input } from "@/components/ui/input";
import { Pagination, pageHref } from "@/components/ui/pagination";
import { Select } from "@/components/ui/select";
import { Table, TableBody, TableCell, TableHead, TableHeader, TableRow } from "@/components/ui/table";
import { auditChanges, canReadAuditLog, listAuditLog } from "@/lib/audit-log/list-audit-log";
import { requireUser } from "@/lib/auth/current-user";
import { auditFilterSchema, type AuditFilter } from "@/lib/schemas/audit";

export const metadata: Metadata = { title: "Audit log" };

const timeFormat = new Intl.DateTimeFormat("en", { dateStyle: "medium", timeStyle: "medium", timeZone: "UTC" });

type SearchParams = Record<string, string | string[] | undefined>;

/** The filters that parse, and a message for each that doesn't (those are ignored). */
function parseFilter(params: SearchParams): { filter: AuditFilter; errors: Record<string, string[]>; raw: Record<string, string> } {
  const raw = Object.fromEntries(Object.entries(params).map(([key, value]) => [key, Array.isArray(value) ? (value[0] ?? "") : (value ?? "")]));
  const parsed = auditFilterSchema.safeParse(raw);
  if (parsed.success) return { filter: parsed.data, errors: {}, raw };
  const errors: Record<string, string[]> = {};
  for (const issue of parsed.error.issues) (errors[String(issue.path[0])] ??= []).push(issue.message);
  const valid = Object.fromEntries(Object.entries(raw).filter(([key]) => !errors[key]));
  return { filter: auditFilterSchema.safeParse(valid).data ?? {}, errors, raw };
}

export default async function AuditPage({ searchParams }: { searchParams: Promise<SearchParams> }) {
  const actor = await requireUser();
  if (!canReadAuditLog(actor)) notFound();
  const { filter, errors, raw } = parseFilter(await searchParams);
  const log = await listAuditLog(actor, filter);
  // What every page link keeps: the filters as typed, not the cursor.
  const filters = { actor: raw.actor, action: raw.action, team: raw.team, from: raw.from, to: raw.to };

  return (
    <div className="flex flex-col gap-6">
      <div className="flex flex-col gap-1">
        <h1 className="text-2xl font-semibold tracking-tight">Audit log</h1>
        <p className="text-sm text-muted-foreground">
          {actor.isPlatformAdmin ? "Everything audited across Podspace" : "What happened in the teams you own"}: who did what, when, and what it
          changed. Times are UTC.
        </p>
      </div>

      <Form action="/audit" role="search" aria-label="Filter the audit log" className="grid items-start gap-3 sm:grid-cols-2 lg:grid-cols-[repeat(5,minmax(0,1fr))_auto]">
        <FormField id="audit-actor" name="actor" label="Actor" errors={errors.actor}>
          {(control) => <Input {...control} type="search" placeholder="Email or name" defaultValue={raw.actor} />}
        </FormField>
        <FormField id="audit-action" name="action" label="Action" errors={errors.action}>
          {(control) => (
            <Select {...control} defaultValue={filter.action ?? ""}>
              <option value="">All actions</option>
              {log.actions.map((action) => (
                <option key={action} value={action}>
                  {action}
                </option>
              ))}
            </Select>
          )}
        </FormField>
        <FormField id="audit-team" name="team" label="Team" errors={errors.team}>
          {(control) => (
            <Select {...control} defaultValue={filter.team ?? ""}>
              <option value="">{actor.isPlatformAdmin ? "All teams" : "All my teams"}</option>
              {log.teams.map((team) => (
                <option key={team.slug} value={team.slug}>
                  {team.name}
                </option>
              ))}
            </Select>
          )}
        </FormField>
        <FormField id="audit-from" name="from" label="From" errors={errors.from}>
          {(control) => <Input {...control} type="date" defaultValue={raw.from} />}
        </FormField>
        <FormField id="audit-to" name="to" label="To" errors={errors.to}>
          {(control) => <Input {...control} type="date" defaultValue={raw.to} />}
        </FormField>
        <Button type="submit" variant="secondary" className="lg:mt-6">
          Filter
        </Button>
      </Form>

      {log.items.length === 0 ? (
        <EmptyState
          icon={ScrollText}
          title="No entries"
          description={filter.cursor ? "Nothing further back matches these filters." : "Nothing audited matches these filters."}
          action={
            filter.cursor ? (
              <Button asChild variant="outline">
                <Link href={pageHref("/audit", filters, null)}>Newest entries</Link>
              </Button>
            ) : null
          }
        />
      ) : (
        <div className="flex flex-col gap-3">
          <Table>
            <TableHeader>
              <TableRow>
                <TableHead>When</TableHead>
                <TableHead>Actor</TableHead>
                <TableHead>Action</TableHead>
                <TableHead>Team</TableHead>
                <TableHead>Target</TableHead>
                <TableHead>Change</TableHead>
              </TableRow>
            </TableHeader>
            <TableBody>
              {log.items.map((entry) => (
                <TableRow key={entry.id}>
                  <TableCell className="whitespace-nowrap text-muted-foreground">
                    <time dateTime={entry.createdAt.toISOString()}>{timeFormat.format(entry.createdAt)}</time>
                  </TableCell>
                  <TableCell>
                    {entry.actor ? (entry.actor.name ?? entry.actor.email) : <span className="text-muted-foreground">Podspace</span>}
                    {entry.via ? <span className="block text-xs text-muted-foreground">via {entry.via}</span> : null}
                  </TableCell>
                  <TableCell className="font-mono text-xs">{entry.action}</TableCell>
                  <TableCell>{entry.team?.name ?? "—"}</TableCell>
                  <TableCell className="text-xs text-muted-foreground">
                    {entry.targetType}
                    {entry.targetLabel ? <span className="block text-sm text-foreground">{entry.targetLabel}</span> : null}
                    {entry.targetId ? <span className="block font-mono">{entry.targetId}</span> : null}
                  </TableCell>
                  <TableCell className="min-w-64">
                    <ul className="flex flex-col gap-0.5 text-xs break-all">
                      {auditChanges(entry.before, entry.after).map((change) => (
                        <li key={change.field}>
                          <span className="text-muted-foreground">{change.field}:</span> {change.before ? `${change.before} → ` : ""}
                          {change.after || "removed"}
                        </li>
                      ))}
                    </ul>
                  </TableCell>
                </TableRow>
              ))}
            </TableBody>
          </Table>
          <Pagination path="/audit" query={filters} previous={log.previous} next={log.next} labels={{ previous: "Newer", next: "Older" }} />
        </div>
      )}
    </div>
  );
}
