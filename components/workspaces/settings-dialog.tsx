"use client";

import * as React from "react";
import { SlidersHorizontal } from "lucide-react";

import { changeSettingsAction } from "@/app/(app)/workspaces/actions";
import { FormField } from "@/components/forms/form-field";
import { FormMessage } from "@/components/forms/form-message";
import { HiddenFields } from "@/components/forms/hidden-fields";
import { useFormAction } from "@/components/forms/use-form-action";
import { DialogFormFooter } from "@/components/forms/dialog-form-footer";
import { Button } from "@/components/ui/button";
import { Dialog, DialogContent, DialogDescription, DialogHeader, DialogTitle, DialogTrigger } from "@/components/ui/dialog";
import type { TemplateParameter } from "@/lib/templates/spec";
import type { WorkspaceSettings } from "@/lib/workspaces/get-workspace";
import { ParameterField, rangeHint, ResourceInput } from "./parameter-fields";

// CPU, memory and the template's mutable parameters after create. Immutable
// ones and the disk are shown, not offered; they are posted as they are so
// the server sees a whole, unchanged set for them.

type SettingsDialogProps = {
  workspace: { id: string; name: string; running: boolean };
  settings: WorkspaceSettings;
};

const RESOURCES = [
  { key: "cpu", label: "CPU (cores)", unit: (n: number) => (n === 1 ? "core" : "cores") },
  { key: "memoryGiB", label: "Memory (GiB)", unit: () => "GiB" },
] as const;

function SettingsDialog({ workspace, settings }: SettingsDialogProps) {
  const [open, setOpen] = React.useState(false);
  const [state, formAction, pending] = useFormAction(changeSettingsAction, { onOk: () => setOpen(false) });
  const id = React.useId();
  const errors = (name: string) => state.fieldErrors?.[name];
  const submitted = state.status === "error" ? state.values : undefined;
  const fixed = settings.parameters.filter((parameter) => !parameter.mutable);

  return (
    <Dialog open={open} onOpenChange={setOpen}>
      <DialogTrigger asChild>
        <Button type="button" variant="outline" aria-label={`Settings of ${workspace.name}`}>
          <SlidersHorizontal aria-hidden="true" />
          Settings
        </Button>
      </DialogTrigger>
      <DialogContent>
        <form action={formAction} className="grid gap-4" noValidate>
          <DialogHeader>
            <DialogTitle>Settings of {workspace.name}</DialogTitle>
            <DialogDescription>
              {workspace.running
                ? "Saving restarts the workspace to apply them: open terminals are closed and running processes stop. The home volume is kept."
                : "They apply from its next start."}
            </DialogDescription>
          </DialogHeader>
          <HiddenFields
            fields={{
              workspaceId: workspace.id,
              "parameters.diskGiB": String(settings.current.diskGiB),
              ...Object.fromEntries(fixed.map((parameter) => [`parameters.values.${parameter.name}`, String(settings.current.values[parameter.name] ?? parameter.default)])),
            }}
          />
          <div className="grid gap-4 sm:grid-cols-2">
            {RESOURCES.map((resource) => (
              <FormField
                key={resource.key}
                id={`${id}-${resource.key}`}
                name={`parameters.${resource.key}`}
                label={resource.label}
                hint={rangeHint(settings.resources[resource.key])}
                errors={errors(`parameters.${resource.key}`)}
              >
                {(control) => (
                  <ResourceInput
                    control={control}
                    choice={settings.resources[resource.key]}
                    unit={resource.unit}
                    defaultValue={submitted?.[`parameters.${resource.key}`] ?? String(settings.current[resource.key])}
                  />
                )}
              </FormField>
            ))}
          </div>
          {settings.parameters
            .filter((parameter) => parameter.mutable)
            .map((parameter) => (
              <ParameterField
                key={parameter.name}
                id={`${id}-p-${parameter.name}`}
                // Its current value is what the field starts from.
                parameter={{ ...parameter, default: settings.current.values[parameter.name] ?? parameter.default } as TemplateParameter}
                submitted={submitted?.[`parameters.values.${parameter.name}`]}
                hasSubmitted={submitted !== undefined}
                errors={errors(`parameters.values.${parameter.name}`)}
              />
            ))}
          <p className="text-xs text-muted-foreground">
            Fixed at creation: disk {settings.current.diskGiB} GiB
            {fixed.map((parameter) => `, ${parameter.label} ${String(settings.current.values[parameter.name] ?? parameter.default)}`).join("")}.
          </p>
          <FormMessage state={state.status === "error" && state.fieldErrors ? { status: "idle" } : state} />
          <DialogFormFooter label={workspace.running ? "Save and restart" : "Save"} pendingLabel="Saving…" pending={pending} />
        </form>
      </DialogContent>
    </Dialog>
  );
}

export { SettingsDialog };
