// Workspace forms (create, settings) name their inputs after the paths the
// server reports errors at ("parameters.cpu", "parameters.values.<name>"), so
// each error lands next to its field. This turns the flat form back into the
// nested parameters object.

const RESOURCE_FIELDS = ["cpu", "memoryGiB", "diskGiB"] as const;
const VALUES_PREFIX = "parameters.values.";

export function parametersFromForm(values: Record<string, string>) {
  const custom: Record<string, string> = {};
  for (const [key, value] of Object.entries(values)) {
    if (key.startsWith(VALUES_PREFIX)) custom[key.slice(VALUES_PREFIX.length)] = value;
  }
  const resources = Object.fromEntries(
    RESOURCE_FIELDS.flatMap((field) => (values[`parameters.${field}`] !== undefined ? [[field, values[`parameters.${field}`]]] : [])),
  );
  return { ...resources, values: custom };
}
