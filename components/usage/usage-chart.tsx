"use client";

import { useState } from "react";
import { Bar, BarChart, CartesianGrid, Legend, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";

import { Button } from "@/components/ui/button";
import { Table, TableBody, TableCell, TableHead, TableHeader, TableRow } from "@/components/ui/table";
import { formatAmount } from "@/lib/usage/format";
import type { Amounts, SeriesPoint } from "@/lib/usage/report";

// Usage by day, stacked by user, template or team. recharts' accessibility
// layer makes the chart a focusable element whose days the arrow keys step
// through (the tooltip reads them out); the table under it holds the same
// numbers for anyone who'd rather read them.

const METRICS = {
  cpuCoreHours: { label: "CPU core-hours", unit: "core-h" },
  memoryGiBHours: { label: "Memory GiB-hours", unit: "GiB-h" },
  storageGiBDays: { label: "Storage GiB-days", unit: "GiB-d" },
  workspaceHours: { label: "Workspace-hours", unit: "h" },
} as const satisfies Record<keyof Amounts, { label: string; unit: string }>;
type Metric = keyof typeof METRICS;

/** Okabe–Ito: tells series apart for the common kinds of colour blindness. */
const COLORS = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#999999"];

export function UsageChart({ days, keys, series, breakdownLabel }: { days: string[]; keys: Array<{ key: string; label: string }>; series: SeriesPoint[]; breakdownLabel: string }) {
  const [metric, setMetric] = useState<Metric>("cpuCoreHours");
  const rows = days.map((day) => {
    const row: Record<string, string | number> = { day };
    for (const { key } of keys) row[key] = 0;
    for (const point of series) if (point.day === day) row[point.key] = (row[point.key] as number) + point[metric];
    return row;
  });
  const { label, unit } = METRICS[metric];

  return (
    <section aria-labelledby="usage-by-day" className="flex flex-col gap-3">
      <div className="flex flex-wrap items-center justify-between gap-3">
        <h2 id="usage-by-day" className="text-base font-semibold">
          {label} by day, by {breakdownLabel.toLowerCase()}
        </h2>
        <div role="group" aria-label="Metric" className="flex flex-wrap gap-1">
          {(Object.keys(METRICS) as Metric[]).map((key) => (
            <Button key={key} size="sm" variant={key === metric ? "default" : "outline"} aria-pressed={key === metric} onClick={() => setMetric(key)}>
              {METRICS[key].label}
            </Button>
          ))}
        </div>
      </div>
      <figure data-testid="usage-chart" className="h-72 w-full" aria-label={`${label} by day, stacked by ${breakdownLabel.toLowerCase()}; use the arrow keys to step through the days`}>
        <ResponsiveContainer width="100%" height="100%">
          <BarChart data={rows} accessibilityLayer margin={{ top: 8, right: 8, bottom: 0, left: 0 }}>
            <CartesianGrid strokeDasharray="3 3" vertical={false} className="stroke-border" />
            <XAxis dataKey="day" tickFormatter={(day: string) => day.slice(5)} fontSize={12} />
            <YAxis fontSize={12} width={48} tickFormatter={(value: number) => formatAmount(value)} />
            <Tooltip formatter={(value) => `${formatAmount(Number(value))} ${unit}`} contentStyle={{ background: "var(--popover)", color: "var(--popover-foreground)", borderColor: "var(--border)" }} />
            <Legend />
            {keys.map(({ key, label: name }, index) => (
              <Bar key={key} dataKey={key} name={name} stackId="usage" fill={COLORS[index % COLORS.length]} isAnimationActive={false} />
            ))}
          </BarChart>
        </ResponsiveContainer>
      </figure>
      <Table aria-label={`${label} by day`}>
        <TableHeader>
          <TableRow>
            <TableHead>Day</TableHead>
            {keys.map(({ key, label: name }) => (
              <TableHead key={key} className="text-right">
                {name}
              </TableHead>
            ))}
            <TableHead className="text-right">Total ({unit})</TableHead>
          </TableRow>
        </TableHeader>
        <TableBody>
          {rows.map((row) => (
            <TableRow key={row.day}>
              <TableCell className="font-mono">{row.day}</TableCell>
              {keys.map(({ key }) => (
                <TableCell key={key} className="text-right tabular-nums">
                  {formatAmount(row[key] as number)}
                </TableCell>
              ))}
              <TableCell className="text-right font-medium tabular-nums">{formatAmount(keys.reduce((sum, { key }) => sum + (row[key] as number), 0))}</TableCell>
            </TableRow>
          ))}
        </TableBody>
      </Table>
    </section>
  );
}
