// metav1.LabelSelector matching, as the API documents it: every matchLabels
// pair and every matchExpressions requirement must hold (an empty selector
// matches everything). In: the label is set to one of the values; NotIn: it
// is unset or set to none of them; Exists / DoesNotExist: it is set / unset.
import type { V1LabelSelector } from "@kubernetes/client-node";

export function matchesSelector(selector: V1LabelSelector, labels: Record<string, string> | undefined): boolean {
  const has = (key: string) => labels !== undefined && Object.hasOwn(labels, key);
  const pairs = Object.entries(selector.matchLabels ?? {});
  if (!pairs.every(([key, value]) => has(key) && labels![key] === value)) return false;
  return (selector.matchExpressions ?? []).every(({ key, operator, values = [] }) => {
    switch (operator) {
      case "In":
        return has(key) && values.includes(labels![key]!);
      case "NotIn":
        return !has(key) || !values.includes(labels![key]!);
      case "Exists":
        return has(key);
      case "DoesNotExist":
        return !has(key);
      default:
        // The apiserver rejects other operators; matching nothing is the safe reading.
        return false;
    }
  });
}
