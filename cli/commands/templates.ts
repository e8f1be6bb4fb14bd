import type { Command } from "../command";
import { printTable } from "../output";

export const templates: Command = {
  name: "templates",
  usage: "templates",
  summary: "List the template catalog",
  async run({ out, client }) {
    const list = await (await client()).templates.list();
    out.result(list, () =>
      printTable(
        ["SLUG", "NAME", "VERSION", "TAGS"],
        list.map((template) => [template.slug, template.name + (template.archived ? " (archived)" : ""), String(template.latestVersion), template.tags.join(",")]),
      ),
    );
  },
};
