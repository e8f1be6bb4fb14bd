"use client";

import * as React from "react";
import { AlertCircle, ArchiveRestore } from "lucide-react";

import { createWorkspaceAction } from "@/app/(app)/workspaces/new/actions";
import { FormField } from "@/components/forms/form-field";
import { FormMessage } from "@/components/forms/form-message";
import { HiddenFields } from "@/components/forms/hidden-fields";
import { useFormAction } from "@/components/forms/use-form-action";
import { Button } from "@/components/ui/button";
import { Input } from "@/components/ui/input";
import { Select } from "@/components/ui/select";
import { formatNumber } from "@/lib/format";
import type { TeamLimits } from "@/lib/quotas/usage";
import type { ResourceChoice, TemplateParameter } from "@/lib/templates/spec";
import { ParameterField, rangeHint, ResourceInput } from "./parameter-fields";

export type CreateFormTemplate = {
  slug: string;
  name: string;
  version: number;
  resources: { cpu: ResourceChoice; memoryGiB: ResourceChoice; diskGiB: ResourceChoice };
  parameters: TemplateParameter[];
};

export type CreateFormTeam = {
  id: string;
  name: string;
  /** What the team has left under each limit; null where it has no limit. */
  left: TeamLimits;
};

type CreateWorkspaceFormProps = {
  template: CreateFormTemplate;
  teams: CreateFormTeam[];
  defaultTeamId: string;
  /** The backup whose files its home starts with, and how to name it. */
  restore?: { id: string; description: string };
};

type ResourceKey = "cpu" | "memoryGiB" | "diskGiB";

type Resource = {
  key: ResourceKey;
  label: string;
  unit: (n: number) => string;
  quota: "cpuCores" | "memoryGiB" | "storageGiB";
  /** "CPU cores", as in "uses 2 of the 6 CPU cores your team has left". */
  what: string;
  /** "CPU", as in "no CPU limit". */
  limit: string;
};

const RESOURCES: Resource[] = [
  { key: "cpu", label: "CPU", unit: (n) => (n === 1 ? "core" : "cores"), quota: "cpuCores", what: "CPU cores", limit: "CPU" },
  { key: "memoryGiB", label: "Memory", unit: () => "GiB", quota: "memoryGiB", what: "GiB of memory", limit: "memory" },
  { key: "diskGiB", label: "Disk", unit: () => "GiB", quota: "storageGiB", what: "GiB of storage", limit: "storage" },
];

/** Fields the form shows errors next to; an error for anything else is shown at the top. */
function fieldNames(template: CreateFormTemplate): Set<string> {
  return new Set([
    "name",
    "teamId",
    "gitRepository",
    ...RESOURCES.map((resource) => `parameters.${resource.key}`),
    ...template.parameters.map((parameter) => `parameters.values.${parameter.name}`),
  ]);
}

function CreateWorkspaceForm({ template, teams, defaultTeamId, restore }: CreateWorkspaceFormProps) {
  const [state, formAction, pending] = useFormAction(createWorkspaceAction);
  const id = React.useId();
  const values = state.values;
  const errors = (name: string) => state.fieldErrors?.[name];

  // Tracked for the quota preview; the inputs themselves stay uncontrolled.
  const [teamId, setTeamId] = React.useState(values?.teamId ?? defaultTeamId);
  const [resources, setResources] = React.useState<Record<ResourceKey, number>>(() => ({
    cpu: Number(values?.["parameters.cpu"] ?? template.resources.cpu.default),
    memoryGiB: Number(values?.["parameters.memoryGiB"] ?? template.resources.memoryGiB.default),
    diskGiB: Number(values?.["parameters.diskGiB"] ?? template.resources.diskGiB.default),
  }));
  const team = teams.find((candidate) => candidate.id === teamId) ?? teams[0]!;

  // After a refusal, take keyboard and screen-reader users to it: the alert, or the first field in error.
  const formRef = React.useRef<HTMLFormElement>(null);
  const alertRef = React.useRef<HTMLDivElement>(null);
  React.useEffect(() => {
    if (state.status !== "error") return;
    const target = alertRef.current ?? formRef.current?.querySelector<HTMLElement>('[aria-invalid="true"]');
    target?.focus();
  }, [state]);

  const known = fieldNames(template);
  const unplaced = Object.entries(state.fieldErrors ?? {}).filter(([field]) => !known.has(field));
  // Quota and other form-wide refusals have no field: they get the alert.
  const formAlert =
    state.status === "error" && (!state.fieldErrors || unplaced.length > 0)
      ? unplaced.length > 0
        ? unplaced.flatMap(([, messages]) => messages).join(" ")
        : state.message
      : undefined;

  return (
    <form ref={formRef} action={formAction} className="flex flex-col gap-6" noValidate aria-labelledby={`${id}-title`}>
      <h2 id={`${id}-title`} className="sr-only">
        New workspace from {template.name}
      </h2>
      <HiddenFields fields={{ templateSlug: template.slug, ...(restore ? { restoreFrom: restore.id } : {}) }} />
      {restore ? (
        <p role="note" className="flex items-start gap-3 rounded-lg border bg-muted/40 p-3 text-sm">
          <ArchiveRestore aria-hidden="true" className="mt-0.5 size-4 shrink-0 text-muted-foreground" />
          <span>
            Its home starts as a copy of <span className="font-medium">{restore.description}</span>, restored before its first start.
          </span>
        </p>
      ) : null}

      {formAlert ? (
        <div
          ref={alertRef}
          role="alert"
          tabIndex={-1}
          className="flex items-start gap-3 rounded-lg border border-destructive/40 bg-destructive/10 p-4 text-sm text-destructive outline-none focus-visible:ring-2 focus-visible:ring-destructive/50"
        >
          <AlertCircle aria-hidden="true" className="mt-0.5 size-4 shrink-0" />
          <div className="flex flex-col gap-1">
            <p className="font-semibold">The workspace wasn&apos;t created</p>
            <p>{formAlert}</p>
          </div>
        </div>
      ) : null}

      <fieldset className="grid gap-4 sm:grid-cols-2">
        <legend className="sr-only">Name and team</legend>
        <FormField
          id={`${id}-name`}
          name="name"
          label="Name"
          hint="Lowercase letters, digits and hyphens, starting with a letter; at most 32. It becomes part of the workspace's hostname."
          errors={errors("name")}
        >
          {(control) => (
            <Input
              {...control}
              required
              maxLength={63}
              autoComplete="off"
              autoCapitalize="none"
              spellCheck={false}
              placeholder="my-project"
              defaultValue={values?.name}
            />
          )}
        </FormField>
        <FormField id={`${id}-team`} name="teamId" label="Team" hint="Its quota pays for the workspace." errors={errors("teamId")}>
          {(control) => (
            <Select
              {...control}
              // A select applies defaultValue only when it mounts: remount it when the echoed value changes.
              key={values?.teamId ?? defaultTeamId}
              defaultValue={values?.teamId ?? defaultTeamId}
              onChange={(event) => setTeamId(event.target.value)}
            >
              {teams.map((option) => (
                <option key={option.id} value={option.id}>
                  {option.name}
                </option>
              ))}
            </Select>
          )}
        </FormField>
      </fieldset>

      <fieldset className="flex flex-col gap-3">
        <legend className="mb-3 text-base font-semibold">Resources</legend>
        <div className="grid gap-4 sm:grid-cols-3">
          {RESOURCES.map((resource) => (
            <FormField
              key={resource.key}
              id={`${id}-${resource.key}`}
              name={`parameters.${resource.key}`}
              label={resource.key === "cpu" ? "CPU (cores)" : `${resource.label} (GiB)`}
              hint={rangeHint(template.resources[resource.key])}
              errors={errors(`parameters.${resource.key}`)}
            >
              {(control) => (
                <ResourceInput
                  control={control}
                  choice={template.resources[resource.key]}
                  unit={resource.unit}
                  defaultValue={values?.[`parameters.${resource.key}`]}
                  onValue={(value) => setResources((current) => ({ ...current, [resource.key]: value }))}
                />
              )}
            </FormField>
          ))}
        </div>
        <QuotaPreview team={team} resources={resources} />
      </fieldset>

      {template.parameters.length > 0 ? (
        <fieldset className="flex flex-col gap-4">
          <legend className="mb-3 text-base font-semibold">{template.name} settings</legend>
          {template.parameters.map((parameter) => (
            <ParameterField
              key={parameter.name}
              id={`${id}-p-${parameter.name}`}
              parameter={parameter}
              submitted={values?.[`parameters.values.${parameter.name}`]}
              hasSubmitted={values !== undefined}
              errors={errors(`parameters.values.${parameter.name}`)}
            />
          ))}
        </fieldset>
      ) : null}

      <FormField
        id={`${id}-git`}
        name="gitRepository"
        label="Git repository (optional)"
        hint="Cloned into your home directory at the first start, e.g. https://github.com/org/repo.git."
        errors={errors("gitRepository")}
      >
        {(control) => (
          <Input
            {...control}
            inputMode="url"
            autoComplete="off"
            spellCheck={false}
            placeholder="https://github.com/org/repo.git"
            defaultValue={values?.gitRepository}
          />
        )}
      </FormField>

      {formAlert ? null : <FormMessage state={state} />}
      <div className="flex items-center gap-3">
        <Button type="submit" disabled={pending}>
          {pending ? "Creating…" : "Create workspace"}
        </Button>
      </div>
    </form>
  );
}

/** What this workspace would take of what the chosen team has left. */
function QuotaPreview({ team, resources }: { team: CreateFormTeam; resources: Record<ResourceKey, number> }) {
  const lines = RESOURCES.map((resource) => {
    const wants = Number.isFinite(resources[resource.key]) ? resources[resource.key] : 0;
    const left = team.left[resource.quota];
    if (left === null) return { key: resource.key, over: false, text: `Uses ${formatNumber(wants)} ${resource.what}; ${team.name} has no ${resource.limit} limit.` };
    if (wants > left + 1e-9) {
      return { key: resource.key, over: true, text: `Needs ${formatNumber(wants)} ${resource.what}, but ${team.name} has only ${formatNumber(left)} left.` };
    }
    return { key: resource.key, over: false, text: `Uses ${formatNumber(wants)} of the ${formatNumber(left)} ${resource.what} your team has left.` };
  });
  const counts = [
    { left: team.left.workspaces, what: "workspaces" },
    { left: team.left.runningWorkspaces, what: "running workspaces" },
  ].flatMap(({ left, what }) =>
    left === null
      ? []
      : [{ key: what, over: left < 1, text: left < 1 ? `${team.name} has no ${what} left.` : `${team.name} has room for ${left} more ${left === 1 ? what.slice(0, -1) : what}.` }],
  );

  return (
    <div aria-live="polite" className="rounded-lg border bg-muted/40 p-3 text-sm">
      <p className="mb-1 font-medium">Cost against {team.name}&apos;s quota</p>
      <ul className="flex flex-col gap-0.5">
        {[...lines, ...counts].map((line) => (
          <li key={line.key} data-over={line.over || undefined} className={line.over ? "font-medium text-destructive" : "text-muted-foreground"}>
            {line.text}
          </li>
        ))}
      </ul>
    </div>
  );
}

export { CreateWorkspaceForm };
