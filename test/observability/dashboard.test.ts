import fs from "node:fs";
import path from "node:path";
import { Histogram, Summary } from "prom-client";
import { describe, expect, it } from "vitest";
import { metrics } from "@/lib/observability/metrics";

// The Grafana dashboard shipped in k8s/monitoring must chart what Podspace
// exports: a renamed or removed metric fails here, not on an empty panel.

const DASHBOARD = path.resolve(import.meta.dirname, "../../k8s/monitoring/podspace-dashboard.json");
/** Metric names in PromQL: the prefixes Podspace and prom-client's default metrics use. */
const METRIC_NAME = /\b(?:podspace|nodejs|process)_[a-zA-Z0-9_]+\b/g;

interface Panel {
  title: string;
  targets?: { expr: string }[];
  panels?: Panel[];
}

/** Every series name the registry exposes, with histogram and summary suffixes. */
function exportedSeries(): Set<string> {
  const names = new Set<string>();
  for (const metric of metrics.registry.getMetricsAsArray()) {
    const { name } = metric as unknown as { name: string };
    if (metric instanceof Histogram) for (const suffix of ["_bucket", "_sum", "_count"]) names.add(name + suffix);
    else if (metric instanceof Summary) for (const suffix of ["", "_sum", "_count"]) names.add(name + suffix);
    else names.add(name);
  }
  return names;
}

describe("the Grafana dashboard", () => {
  const dashboard = JSON.parse(fs.readFileSync(DASHBOARD, "utf8")) as { uid: string; title: string; panels: Panel[] };
  const panels = dashboard.panels.flatMap((panel) => [panel, ...(panel.panels ?? [])]);
  const exprs = panels.flatMap((panel) => (panel.targets ?? []).map((target) => ({ panel: panel.title, expr: target.expr })));

  it("is a dashboard with queries", () => {
    expect(dashboard.uid).toBe("podspace");
    expect(exprs.length).toBeGreaterThanOrEqual(10);
  });

  it("queries only metrics the app exports", () => {
    const exported = exportedSeries();
    for (const { panel, expr } of exprs) {
      const names = expr.match(METRIC_NAME) ?? [];
      expect(names, `${panel}: ${expr} names no Podspace metric`).not.toEqual([]);
      for (const name of names) expect(exported, `${panel}: ${name} is not exported`).toContain(name);
    }
  });

  it("charts every podspace_ metric", () => {
    const charted = new Set(exprs.flatMap(({ expr }) => expr.match(METRIC_NAME) ?? []));
    const podspaceMetrics = metrics.registry.getMetricsAsArray().map((metric) => (metric as unknown as { name: string }).name).filter((name) => name.startsWith("podspace_"));
    for (const name of podspaceMetrics) expect([...charted].some((series) => series.startsWith(name)), `${name} has no panel`).toBe(true);
  });
});
