"use client";

import * as React from "react";
import Link from "next/link";

import { saveTemplateAction } from "@/app/(app)/templates/actions";
import { FormField } from "@/components/forms/form-field";
import { FormMessage } from "@/components/forms/form-message";
import { HiddenFields } from "@/components/forms/hidden-fields";
import { useFormAction } from "@/components/forms/use-form-action";
import { Textarea } from "@/components/templates/textarea";
import { Button } from "@/components/ui/button";
import { Input } from "@/components/ui/input";
import { applyFormValues, formValuesFromSpec, type TemplateFormField, type TemplateFormValues } from "@/lib/templates/form";
import { describeIssue } from "@/lib/templates/issues";
import { readYamlDocument } from "@/lib/templates/yaml";
import { cn } from "@/lib/utils";

type Tab = "form" | "yaml";

type TemplateEditorProps = {
  /** The slug of the template being edited; absent when creating one. */
  templateSlug?: string;
  /** The spec the editor starts from, as YAML. */
  initialYaml: string;
  cancelHref: string;
};

const RESOURCE_ROWS = [
  { key: "cpu", label: "CPU", unit: "cores" },
  { key: "memory", label: "Memory", unit: "GiB" },
  { key: "disk", label: "Disk", unit: "GiB" },
] as const;
const RESOURCE_PARTS = [
  { part: "Options", label: "Options", hint: "comma-separated" },
  { part: "Min", label: "Min" },
  { part: "Max", label: "Max" },
  { part: "Default", label: "Default" },
] as const;

function initialValues(yaml: string): TemplateFormValues {
  const read = readYamlDocument(yaml);
  return formValuesFromSpec(read.ok ? read.value : {});
}

/**
 * The template admin's editor: a form for the everyday fields and a YAML
 * view of the whole spec, kept in step when switching between them. The
 * server validates whichever one is showing when saved; each save is a new
 * version.
 */
function TemplateEditor({ templateSlug, initialYaml, cancelHref }: TemplateEditorProps) {
  const [state, formAction, pending] = useFormAction(saveTemplateAction);
  const [tab, setTab] = React.useState<Tab>("form");
  const [yaml, setYaml] = React.useState(initialYaml);
  const [values, setValues] = React.useState(() => initialValues(initialYaml));
  const [switchError, setSwitchError] = React.useState<string | null>(null);
  const [changelog, setChangelog] = React.useState("");
  const id = React.useId();
  const errors = state.fieldErrors ?? {};

  function switchTo(next: Tab) {
    if (next === tab) return;
    if (next === "yaml") {
      const applied = applyFormValues(yaml, values);
      if (!applied.ok) return setSwitchError(applied.issues.map(describeIssue).join(" "));
      setYaml(applied.yaml);
    } else {
      const read = readYamlDocument(yaml);
      if (!read.ok) return setSwitchError(`Fix the YAML before switching to the form: ${read.issues.map(describeIssue).join(" ")}`);
      setValues(formValuesFromSpec(read.value));
    }
    setSwitchError(null);
    setTab(next);
  }

  const field = (name: TemplateFormField) => ({
    value: values[name],
    onChange: (event: React.ChangeEvent<HTMLInputElement | HTMLTextAreaElement>) => setValues((current) => ({ ...current, [name]: event.target.value })),
  });

  const tabButton = (value: Tab, label: string) => (
    <button
      type="button"
      role="tab"
      id={`${id}-tab-${value}`}
      aria-selected={tab === value}
      aria-controls={`${id}-panel-${value}`}
      onClick={() => switchTo(value)}
      className={cn(
        "rounded-sm px-3 py-1.5 text-sm font-medium outline-none transition-colors focus-visible:ring-2 focus-visible:ring-ring",
        tab === value ? "bg-background text-foreground shadow-xs" : "text-muted-foreground hover:text-foreground",
      )}
    >
      {label}
    </button>
  );

  const yamlErrors = errors.yaml;

  return (
    <form action={formAction} className="flex flex-col gap-6" noValidate aria-label={templateSlug ? "Edit template" : "New template"}>
      <HiddenFields fields={{ mode: tab, ...(templateSlug ? { templateSlug } : {}) }} />

      <div role="tablist" aria-label="Edit as" className="inline-flex w-fit gap-1 rounded-md bg-muted p-1">
        {tabButton("form", "Form")}
        {tabButton("yaml", "YAML")}
      </div>
      {switchError ? (
        <p role="alert" className="text-sm font-medium text-destructive">
          {switchError}
        </p>
      ) : null}

      {tab === "form" ? (
        <div role="tabpanel" id={`${id}-panel-form`} aria-labelledby={`${id}-tab-form`} className="flex flex-col gap-8">
          {/* The YAML carries what the form doesn't show (parameters, IDE, scheduling). */}
          <input type="hidden" name="yaml" value={yaml} />

          <fieldset className="grid gap-4 sm:grid-cols-2">
            <legend className="mb-3 text-base font-semibold">Basics</legend>
            <FormField id={`${id}-name`} name="name" label="Name" errors={errors.name}>
              {(control) => <Input {...control} {...field("name")} required maxLength={80} />}
            </FormField>
            {templateSlug ? (
              <div className="flex flex-col gap-2">
                <span className="text-sm font-medium">Slug</span>
                <p className="flex h-9 items-center font-mono text-sm text-muted-foreground">{templateSlug}</p>
              </div>
            ) : (
              <FormField
                id={`${id}-slug`}
                name="slug"
                label="Slug"
                hint="Lowercase letters, digits and dashes; in URLs and workspace names. Can't be changed later."
                errors={errors.slug}
              >
                {(control) => <Input {...control} {...field("slug")} required maxLength={40} autoCapitalize="none" spellCheck={false} placeholder="rust" />}
              </FormField>
            )}
            <FormField id={`${id}-description`} name="description" label="Description" errors={errors.description} className="sm:col-span-2">
              {(control) => <Textarea {...control} {...field("description")} rows={3} maxLength={500} />}
            </FormField>
            <FormField
              id={`${id}-icon`}
              name="icon"
              label="Icon"
              hint={
                <>
                  A{" "}
                  <a href="https://lucide.dev/icons" target="_blank" rel="noreferrer" className="underline underline-offset-2">
                    lucide icon
                  </a>{" "}
                  name like <code>hexagon</code>, or an image URL.
                </>
              }
              errors={errors.icon}
            >
              {(control) => <Input {...control} {...field("icon")} autoCapitalize="none" spellCheck={false} placeholder="box" />}
            </FormField>
            <FormField id={`${id}-tags`} name="tags" label="Tags" hint="Comma-separated, lowercase: python, data" errors={errors.tags}>
              {(control) => <Input {...control} {...field("tags")} autoCapitalize="none" spellCheck={false} />}
            </FormField>
          </fieldset>

          <fieldset className="grid gap-4 sm:grid-cols-2">
            <legend className="mb-3 text-base font-semibold">Image and lifetime</legend>
            <FormField
              id={`${id}-image`}
              name="image"
              label="Image"
              hint="Runs as uid 1000 with the home volume at /home/coder."
              errors={errors.image}
              className="sm:col-span-2"
            >
              {(control) => (
                <Input {...control} {...field("image")} required autoCapitalize="none" spellCheck={false} className="font-mono" placeholder="ghcr.io/org/image:tag" />
              )}
            </FormField>
            <FormField
              id={`${id}-idle`}
              name="idleTimeoutMinutes"
              label="Idle timeout (minutes)"
              hint="Stops a workspace nobody has used for this long. 5 to 10080."
              errors={errors.idleTimeoutMinutes}
            >
              {(control) => <Input {...control} {...field("idleTimeoutMinutes")} inputMode="numeric" />}
            </FormField>
            <FormField
              id={`${id}-lifetime`}
              name="maxLifetimeHours"
              label="Maximum lifetime (hours)"
              hint="Stops a workspace after running this long. 1 to 720."
              errors={errors.maxLifetimeHours}
            >
              {(control) => <Input {...control} {...field("maxLifetimeHours")} inputMode="numeric" />}
            </FormField>
          </fieldset>

          <fieldset className="flex flex-col gap-3">
            <legend className="mb-3 text-base font-semibold">Resources</legend>
            <p className="text-sm text-muted-foreground">
              For each resource give either options to pick from, or a min and max. The default must be allowed.
            </p>
            <div className="flex flex-col gap-4">
              {RESOURCE_ROWS.map((row) => (
                <div key={row.key} className="grid gap-3 sm:grid-cols-[8rem_repeat(4,minmax(0,1fr))] sm:items-start">
                  <p className="text-sm font-medium sm:pt-8">
                    {row.label} <span className="font-normal text-muted-foreground">({row.unit})</span>
                  </p>
                  {RESOURCE_PARTS.map(({ part, label }) => {
                    const name = `${row.key}${part}` as TemplateFormField;
                    return (
                      <FormField
                        key={part}
                        id={`${id}-${name}`}
                        name={name}
                        label={
                          <>
                            <span className="sr-only">{row.label} </span>
                            {label}
                          </>
                        }
                        errors={errors[name]}
                      >
                        {(control) => <Input {...control} {...field(name)} inputMode="decimal" placeholder={part === "Options" ? "1, 2, 4" : undefined} />}
                      </FormField>
                    );
                  })}
                </div>
              ))}
            </div>
          </fieldset>

          <fieldset className="flex flex-col gap-4">
            <legend className="mb-3 text-base font-semibold">Startup</legend>
            <FormField
              id={`${id}-startup`}
              name="startupScript"
              label="Startup script"
              hint="Runs with sh in the home directory at every start, before the IDE. Parameters arrive as PODSPACE_PARAM_<NAME>."
              errors={errors.startupScript}
            >
              {(control) => <Textarea {...control} {...field("startupScript")} mono rows={10} spellCheck={false} />}
            </FormField>
            <FormField id={`${id}-env`} name="env" label="Environment" hint="One NAME=value per line. Not for secrets." errors={errors.env}>
              {(control) => <Textarea {...control} {...field("env")} mono rows={4} spellCheck={false} placeholder="NODE_ENV=development" />}
            </FormField>
          </fieldset>

          {yamlErrors?.length ? (
            <div role="alert" className="flex flex-col gap-1 rounded-md border border-destructive/30 bg-destructive/10 px-3 py-2 text-sm text-destructive">
              <p className="font-medium">Problems in fields the form doesn&apos;t show; switch to YAML to fix them:</p>
              <ul className="list-disc pl-5">
                {yamlErrors.map((message) => (
                  <li key={message}>{message}</li>
                ))}
              </ul>
            </div>
          ) : null}
        </div>
      ) : (
        <div role="tabpanel" id={`${id}-panel-yaml`} aria-labelledby={`${id}-tab-yaml`} className="flex flex-col gap-2">
          <FormField
            id={`${id}-yaml`}
            name="yaml"
            label="Template spec (YAML)"
            hint="The whole template: parameters, IDE command, scheduling and everything the form shows."
          >
            {(control) => (
              <Textarea
                {...control}
                aria-invalid={yamlErrors?.length ? true : undefined}
                aria-describedby={[yamlErrors?.length ? `${id}-yaml-errors` : null, control["aria-describedby"]].filter(Boolean).join(" ") || undefined}
                value={yaml}
                onChange={(event) => setYaml(event.target.value)}
                mono
                rows={28}
                spellCheck={false}
                wrap="off"
              />
            )}
          </FormField>
          {yamlErrors?.length ? (
            <ul id={`${id}-yaml-errors`} className="flex flex-col gap-1 text-xs font-medium text-destructive">
              {yamlErrors.map((message) => (
                <li key={message}>{message}</li>
              ))}
            </ul>
          ) : null}
        </div>
      )}

      <FormField
        id={`${id}-changelog`}
        name="changelog"
        label="What changed"
        hint="Shown in the version history, e.g. “Node.js 24 as an option”."
        errors={errors.changelog}
        className="max-w-2xl"
      >
        {(control) => <Input {...control} maxLength={500} value={changelog} onChange={(event) => setChangelog(event.target.value)} />}
      </FormField>

      <div className="flex flex-col gap-3">
        <FormMessage state={state} />
        <div className="flex gap-2">
          <Button type="submit" disabled={pending}>
            {pending ? "Saving…" : templateSlug ? "Save new version" : "Create template"}
          </Button>
          <Button asChild variant="outline">
            <Link href={cancelHref}>Cancel</Link>
          </Button>
        </div>
      </div>
    </form>
  );
}

export { TemplateEditor };
