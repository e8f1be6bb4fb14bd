"use client";

import { FormField, type FieldControlProps } from "@/components/forms/form-field";
import { Input } from "@/components/ui/input";
import { Select } from "@/components/ui/select";
import { formatNumber } from "@/lib/format";
import type { ResourceChoice, TemplateParameter } from "@/lib/templates/spec";

// The inputs for a template's resources and parameters, shared by the create
// form and the settings dialog. They are named after the paths the server
// reports errors at ("parameters.cpu", "parameters.values.<name>").

function rangeHint(choice: ResourceChoice): string | undefined {
  if (choice.options) return undefined;
  if (choice.min !== undefined && choice.max !== undefined) return `${formatNumber(choice.min)} to ${formatNumber(choice.max)}`;
  if (choice.min !== undefined) return `At least ${formatNumber(choice.min)}`;
  if (choice.max !== undefined) return `At most ${formatNumber(choice.max)}`;
  return undefined;
}

function ResourceInput({
  control,
  choice,
  unit,
  defaultValue,
  onValue,
}: {
  control: FieldControlProps;
  choice: ResourceChoice;
  unit: (n: number) => string;
  defaultValue: string | undefined;
  /** Follows the chosen value (the create form's quota preview). */
  onValue?: (value: number) => void;
}) {
  const initial = defaultValue ?? String(choice.default);
  if (choice.options) {
    return (
      <Select {...control} key={initial} defaultValue={initial} onChange={(event) => onValue?.(Number(event.target.value))}>
        {choice.options.map((option) => (
          <option key={option} value={String(option)}>
            {formatNumber(option)} {unit(option)}
          </option>
        ))}
      </Select>
    );
  }
  return (
    <Input
      {...control}
      type="number"
      inputMode="decimal"
      step="any"
      min={choice.min}
      max={choice.max}
      defaultValue={initial}
      onChange={(event) => onValue?.(Number(event.target.value))}
    />
  );
}

function ParameterField({
  id,
  parameter,
  submitted,
  hasSubmitted,
  errors,
}: {
  id: string;
  parameter: TemplateParameter;
  submitted: string | undefined;
  hasSubmitted: boolean;
  errors: string[] | undefined;
}) {
  const name = `parameters.values.${parameter.name}`;
  const hint = parameter.description || undefined;

  if (parameter.type === "boolean") {
    const checked = hasSubmitted ? submitted === "on" || submitted === "true" : parameter.default;
    const hintId = hint ? `${id}-hint` : undefined;
    const errorId = errors?.length ? `${id}-error` : undefined;
    return (
      <div className="flex flex-col gap-1">
        {/* Unchecked boxes post nothing; the hidden "false" before the box keeps a default of true from coming back. */}
        <input type="hidden" name={name} value="false" />
        <label htmlFor={id} className="flex items-center gap-2 text-sm font-medium">
          <input
            id={id}
            type="checkbox"
            name={name}
            value="true"
            defaultChecked={checked}
            aria-invalid={errorId ? true : undefined}
            aria-describedby={[errorId, hintId].filter(Boolean).join(" ") || undefined}
            className="size-4 rounded border-input accent-primary"
          />
          {parameter.label}
        </label>
        {hint ? (
          <p id={hintId} className="pl-6 text-xs text-muted-foreground">
            {hint}
          </p>
        ) : null}
        {errorId ? (
          <p id={errorId} className="pl-6 text-xs font-medium text-destructive">
            {errors?.join(" ")}
          </p>
        ) : null}
      </div>
    );
  }

  const initial = submitted ?? String(parameter.default);
  return (
    <FormField id={id} name={name} label={parameter.label} hint={hint} errors={errors}>
      {(control) =>
        parameter.type === "string" && parameter.options ? (
          <Select {...control} key={initial} defaultValue={initial}>
            {parameter.options.map((option) => (
              <option key={option} value={option}>
                {option}
              </option>
            ))}
          </Select>
        ) : parameter.type === "number" ? (
          <Input {...control} type="number" inputMode="decimal" step="any" min={parameter.min} max={parameter.max} defaultValue={initial} />
        ) : (
          <Input {...control} autoComplete="off" spellCheck={false} defaultValue={initial} />
        )
      }
    </FormField>
  );
}

export { ParameterField, rangeHint, ResourceInput };
