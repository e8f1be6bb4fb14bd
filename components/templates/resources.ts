import type { ResourceChoice } from "@/lib/templates/spec";

// How templates' resource choices read on cards and pages.

const trim = (value: number) => String(Math.round(value * 100) / 100);

/** "1–4", "2, 4 or 8" style range of a choice, without the unit. */
export function choiceRange(choice: ResourceChoice): string {
  if (choice.options) {
    const sorted = [...choice.options].sort((a, b) => a - b);
    return sorted.length === 1 ? trim(sorted[0]!) : `${trim(sorted[0]!)}–${trim(sorted[sorted.length - 1]!)}`;
  }
  if (choice.min !== undefined && choice.max !== undefined) return `${trim(choice.min)}–${trim(choice.max)}`;
  if (choice.max !== undefined) return `up to ${trim(choice.max)}`;
  if (choice.min !== undefined) return `${trim(choice.min)}+`;
  return trim(choice.default);
}

/** Every allowed value of a choice, for the resources table. */
export function choiceOptions(choice: ResourceChoice): string {
  if (choice.options) return [...choice.options].sort((a, b) => a - b).map(trim).join(", ");
  return choiceRange(choice);
}

export const formatNumber = trim;

export const plural = (count: number, one: string, many = `${one}s`) => `${trim(count)} ${count === 1 ? one : many}`;
