import { cache } from "react";
import type { Metadata } from "next";
import Link from "next/link";
import { notFound } from "next/navigation";
import { CircleCheck, Pencil, Plus } from "lucide-react";

import { setTemplateArchivedAction } from "@/app/(app)/templates/actions";
import { ActionButton } from "@/components/forms/action-button";
import { QuotaCost } from "@/components/templates/quota-cost";
import { choiceOptions } from "@/components/templates/resources";
import { formatNumber } from "@/lib/format";
import { TemplateIcon } from "@/components/templates/template-icon";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from "@/components/ui/card";
import { Table, TableBody, TableCell, TableHead, TableHeader, TableRow } from "@/components/ui/table";
import { requireUser } from "@/lib/auth/current-user";
import { teamBudget } from "@/lib/quotas/budget";
import { teamLimits, teamUsage } from "@/lib/quotas/usage";
import { selectedTeam } from "@/lib/teams/selected-team";
import { managesTemplates } from "@/lib/templates/access";
import { getTemplate, type TemplateDetail } from "@/lib/templates/catalog";
import { defaultParameters } from "@/lib/templates/parameters";
import type { TemplateParameter, TemplateSpec } from "@/lib/templates/spec";
import { specToYaml } from "@/lib/templates/yaml";
import { BackLink } from "@/components/ui/back-link";

type TemplatePageProps = {
  params: Promise<{ slug: string }>;
  searchParams: Promise<Record<string, string | string[] | undefined>>;
};

// Shared by the metadata and the page within one request.
const templateForRequest = cache(async (slug: string) => getTemplate(await requireUser(), slug));

export async function generateMetadata({ params }: TemplatePageProps): Promise<Metadata> {
  const template = await templateForRequest((await params).slug);
  return { title: template?.name ?? "Template" };
}

const dateFormat = new Intl.DateTimeFormat("en", { dateStyle: "medium", timeStyle: "short" });

function ArchiveButton({ template }: { template: TemplateDetail }) {
  if (template.archivedAt) {
    return (
      <ActionButton
        action={setTemplateArchivedAction}
        fields={{ templateId: template.id, archived: "false" }}
        size="default"
        confirm={{
          title: `Restore ${template.name}?`,
          description: "It returns to the catalog and everyone can create workspaces from it again.",
          confirmLabel: "Restore template",
        }}
      >
        Restore
      </ActionButton>
    );
  }
  return (
    <ActionButton
      action={setTemplateArchivedAction}
      fields={{ templateId: template.id, archived: "true" }}
      variant="destructive"
      size="default"
      confirm={{
        title: `Archive ${template.name}?`,
        description:
          "It leaves the catalog and no new workspaces can be created from it. Existing workspaces keep running on their version. You can restore it later.",
        confirmLabel: "Archive template",
      }}
    >
      Archive
    </ActionButton>
  );
}

function parameterDefault(parameter: TemplateParameter): string {
  if (parameter.type === "boolean") return parameter.default ? "Yes" : "No";
  return String(parameter.default) || "—";
}

function parameterAllowed(parameter: TemplateParameter): string {
  switch (parameter.type) {
    case "string":
      return parameter.options ? parameter.options.join(", ") : parameter.pattern ? `matches ${parameter.pattern}` : "any text";
    case "number":
      return [parameter.min !== undefined ? `≥ ${parameter.min}` : null, parameter.max !== undefined ? `≤ ${parameter.max}` : null].filter(Boolean).join(", ") || "any number";
    case "boolean":
      return "yes or no";
  }
}

function Resources({ spec }: { spec: TemplateSpec }) {
  const rows = [
    { label: "CPU", unit: "cores", choice: spec.resources.cpu },
    { label: "Memory", unit: "GiB", choice: spec.resources.memoryGiB },
    { label: "Disk", unit: "GiB", choice: spec.resources.diskGiB },
  ];
  return (
    <Table>
      <TableHeader>
        <TableRow>
          <TableHead>Resource</TableHead>
          <TableHead>Choices</TableHead>
          <TableHead className="text-right">Default</TableHead>
        </TableRow>
      </TableHeader>
      <TableBody>
        {rows.map(({ label, unit, choice }) => (
          <TableRow key={label}>
            <TableCell className="font-medium">{label}</TableCell>
            <TableCell className="tabular-nums">
              {choiceOptions(choice)} {unit}
            </TableCell>
            <TableCell className="text-right tabular-nums">
              {formatNumber(choice.default)} {unit}
            </TableCell>
          </TableRow>
        ))}
      </TableBody>
    </Table>
  );
}

function Parameters({ spec }: { spec: TemplateSpec }) {
  if (spec.parameters.length === 0) return <p className="text-sm text-muted-foreground">This template has no options beyond its resources.</p>;
  return (
    <Table>
      <TableHeader>
        <TableRow>
          <TableHead>Parameter</TableHead>
          <TableHead>Allowed</TableHead>
          <TableHead>Default</TableHead>
          <TableHead>Changeable later</TableHead>
        </TableRow>
      </TableHeader>
      <TableBody>
        {spec.parameters.map((parameter) => (
          <TableRow key={parameter.name}>
            <TableCell>
              <div className="flex flex-col gap-0.5">
                <span className="font-medium">{parameter.label}</span>
                <span className="font-mono text-xs text-muted-foreground">{parameter.name}</span>
                {parameter.description ? <span className="text-xs text-muted-foreground">{parameter.description}</span> : null}
              </div>
            </TableCell>
            <TableCell className="text-sm">{parameterAllowed(parameter)}</TableCell>
            <TableCell className="font-mono text-xs">{parameterDefault(parameter)}</TableCell>
            <TableCell>{parameter.mutable ? "Yes" : <Badge variant="outline">Fixed at creation</Badge>}</TableCell>
          </TableRow>
        ))}
      </TableBody>
    </Table>
  );
}

function Runtime({ spec }: { spec: TemplateSpec }) {
  const env = Object.entries(spec.env);
  return (
    <dl className="grid gap-x-6 gap-y-3 text-sm sm:grid-cols-[10rem_minmax(0,1fr)]">
      <dt className="text-muted-foreground">Image</dt>
      <dd className="font-mono text-xs break-all">{spec.image}</dd>
      <dt className="text-muted-foreground">IDE</dt>
      <dd className="font-mono text-xs break-all">
        {spec.ide.command.join(" ")} <span className="text-muted-foreground">(port {spec.ide.port}, health {spec.ide.healthPath})</span>
      </dd>
      <dt className="text-muted-foreground">Stops when idle for</dt>
      <dd>{spec.idleTimeoutMinutes} minutes</dd>
      <dt className="text-muted-foreground">Stops after running</dt>
      <dd>{spec.maxLifetimeHours} hours</dd>
      <dt className="text-muted-foreground">Environment</dt>
      <dd>
        {env.length === 0 ? (
          <span className="text-muted-foreground">None</span>
        ) : (
          <ul className="flex flex-col gap-1 font-mono text-xs break-all">
            {env.map(([name, value]) => (
              <li key={name}>
                {name}={value}
              </li>
            ))}
          </ul>
        )}
      </dd>
      <dt className="text-muted-foreground">Startup script</dt>
      <dd>
        {spec.startupScript.trim() ? (
          <pre className="max-h-80 overflow-auto rounded-md bg-muted p-3 font-mono text-xs">{spec.startupScript}</pre>
        ) : (
          <span className="text-muted-foreground">None</span>
        )}
      </dd>
    </dl>
  );
}

function History({ template }: { template: TemplateDetail }) {
  return (
    <Table>
      <TableHeader>
        <TableRow>
          <TableHead>Version</TableHead>
          <TableHead>Changes</TableHead>
          <TableHead>By</TableHead>
          <TableHead>Created</TableHead>
        </TableRow>
      </TableHeader>
      <TableBody>
        {template.versions.map((version) => (
          <TableRow key={version.id}>
            <TableCell className="tabular-nums">
              <div className="flex items-center gap-2">
                v{version.version}
                {version.version === template.latest.version ? <Badge variant="secondary">Latest</Badge> : null}
              </div>
            </TableCell>
            <TableCell className="max-w-md whitespace-normal">{version.changelog || <span className="text-muted-foreground">—</span>}</TableCell>
            <TableCell className="text-muted-foreground">
              {version.createdBy ? (version.createdBy.name ?? version.createdBy.email) : "Podspace (built-in file)"}
            </TableCell>
            <TableCell className="text-muted-foreground">
              <time dateTime={version.createdAt.toISOString()}>{dateFormat.format(version.createdAt)}</time>
            </TableCell>
          </TableRow>
        ))}
      </TableBody>
    </Table>
  );
}

async function Cost({ spec, user }: { spec: TemplateSpec; user: Awaited<ReturnType<typeof requireUser>> }) {
  const team = await selectedTeam(user);
  if (!team) {
    return (
      <p className="text-sm text-muted-foreground">
        You&apos;re not in a team yet, so you can&apos;t create workspaces. A team owner or admin can add you by your email address.
      </p>
    );
  }
  const [usage, limits, budget] = await Promise.all([teamUsage(team.id), teamLimits(team.id), teamBudget(team.id)]);
  const defaults = defaultParameters(spec);
  return <QuotaCost teamName={team.name} cost={defaults} usage={usage} limits={limits} budget={budget} />;
}

export default async function TemplatePage({ params, searchParams }: TemplatePageProps) {
  const user = await requireUser();
  const template = await templateForRequest((await params).slug);
  if (!template) notFound();
  const manages = await managesTemplates(user);
  const savedVersion = (await searchParams).saved;
  const spec = template.latest.spec;
  const team = await selectedTeam(user);

  return (
    <div className="flex flex-col gap-6">
      <div className="flex flex-col gap-3">
        <BackLink href="/templates">Templates</BackLink>
        {savedVersion && manages ? (
          <p role="status" className="flex items-center gap-2 rounded-md border border-success/30 bg-success/10 px-3 py-2 text-sm text-success">
            <CircleCheck aria-hidden="true" className="size-4" />
            Saved as version {template.latest.version}.
          </p>
        ) : null}
        <div className="flex flex-wrap items-start justify-between gap-4">
          <div className="flex items-start gap-4">
            <TemplateIcon icon={template.icon} className="size-12" />
            <div className="flex flex-col gap-1">
              <div className="flex flex-wrap items-center gap-2">
                <h1 className="text-2xl font-semibold tracking-tight">{template.name}</h1>
                {template.builtIn ? <Badge variant="outline">Built-in</Badge> : null}
                {template.archivedAt ? <Badge variant="warning">Archived</Badge> : null}
              </div>
              <p className="text-sm text-muted-foreground">
                <span className="font-mono">{template.slug}</span> · version {template.latest.version}
              </p>
              {template.tags.length > 0 ? (
                <ul aria-label="Tags" className="flex flex-wrap gap-1.5 pt-1">
                  {template.tags.map((tag) => (
                    <li key={tag}>
                      <Badge asChild variant="secondary">
                        <Link href={`/templates?tag=${encodeURIComponent(tag)}`}>{tag}</Link>
                      </Badge>
                    </li>
                  ))}
                </ul>
              ) : null}
            </div>
          </div>
          <div className="flex flex-wrap items-center gap-2">
            {manages ? (
              <>
                <Button asChild variant="outline">
                  <Link href={`/templates/${template.slug}/edit`}>
                    <Pencil aria-hidden="true" />
                    Edit
                  </Link>
                </Button>
                <ArchiveButton template={template} />
              </>
            ) : null}
            {/* Slot for the workspace flow: /workspaces/new reads ?template=<slug>. */}
            {template.archivedAt || !team ? null : (
              <Button asChild data-slot="create-workspace">
                <Link href={`/workspaces/new?template=${encodeURIComponent(template.slug)}`}>
                  <Plus aria-hidden="true" />
                  Create workspace
                </Link>
              </Button>
            )}
          </div>
        </div>
        {template.description ? <p className="max-w-3xl text-sm">{template.description}</p> : null}
      </div>

      <Card>
        <CardHeader>
          <CardTitle>
            <h2>Cost to {team ? team.name : "your team"}</h2>
          </CardTitle>
          <CardDescription>
            With the default settings ({formatNumber(spec.resources.cpu.default)} CPU, {formatNumber(spec.resources.memoryGiB.default)} GiB memory,{" "}
            {formatNumber(spec.resources.diskGiB.default)} GiB disk). You can change them when you create the workspace.
          </CardDescription>
        </CardHeader>
        <CardContent>
          <Cost spec={spec} user={user} />
        </CardContent>
      </Card>

      <section aria-labelledby="resources-heading" className="flex flex-col gap-3">
        <h2 id="resources-heading" className="text-base font-semibold">
          Resources
        </h2>
        <Resources spec={spec} />
      </section>

      <section aria-labelledby="parameters-heading" className="flex flex-col gap-3">
        <h2 id="parameters-heading" className="text-base font-semibold">
          Parameters
        </h2>
        <Parameters spec={spec} />
      </section>

      <section aria-labelledby="runtime-heading" className="flex flex-col gap-3">
        <h2 id="runtime-heading" className="text-base font-semibold">
          Image and startup
        </h2>
        <Runtime spec={spec} />
        <details className="rounded-md border px-3 py-2">
          <summary className="cursor-pointer text-sm font-medium">Full spec as YAML</summary>
          <pre className="mt-2 max-h-[32rem] overflow-auto rounded-md bg-muted p-3 font-mono text-xs">{specToYaml(spec)}</pre>
        </details>
      </section>

      <section aria-labelledby="history-heading" className="flex flex-col gap-3">
        <h2 id="history-heading" className="text-base font-semibold">
          Version history
        </h2>
        <p className="text-sm text-muted-foreground">Versions never change: each workspace stays on the version it was created from until it is updated.</p>
        <History template={template} />
      </section>
    </div>
  );
}
