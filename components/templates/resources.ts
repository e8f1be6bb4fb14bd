import { formatNumber } from "@/lib/format";
import type { ResourceChoice } from "@/lib/templates/spec";

// How templates' resource choices read on cards and pages.


/** "1–4", "2, 4 or 8" style range of a choice, without the unit. */
export function choiceRange(choice: ResourceChoice): string {
  if (choice.options) {
    const sorted = [...choice.options].sort((a, b) => a - b);
    return sorted.length === 1 ? formatNumber(sorted[0]!) : `${formatNumber(sorted[0]!)}–${formatNumber(sorted[sorted.length - 1]!)}`;
  }
  if (choice.min !== undefined && choice.max !== undefined) return `${formatNumber(choice.min)}–${formatNumber(choice.max)}`;
  if (choice.max !== undefined) return `up to ${formatNumber(choice.max)}`;
  if (choice.min !== undefined) return `${formatNumber(choice.min)}+`;
  return formatNumber(choice.default);
}

/** Every allowed value of a choice, for the resources table. */
export function choiceOptions(choice: ResourceChoice): string {
  if (choice.options) return [...choice.options].sort((a, b) => a - b).map(formatNumber).join(", ");
  return choiceRange(choice);
}
