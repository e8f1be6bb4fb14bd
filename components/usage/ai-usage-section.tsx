import { Download } from "lucide-react";

import { Button } from "@/components/ui/button";
import { Table, TableBody, TableCell, TableHead, TableHeader, TableRow } from "@/components/ui/table";
import type { AiUsageLine, AiUsageReport } from "@/lib/ai/ai-report";
import { dayString, lastDay, type Period } from "@/lib/usage/period";

// The usage pages' AI section, beside compute: the period's AI gateway
// tokens and cost, per user, model and workspace (and team, across teams),
// with its own CSV.

const tokens = (value: number) => value.toLocaleString("en");
const usd = (micros: number) => `$${(micros / 1e6).toFixed(2)}`;

function Breakdown({ title, lines }: { title: string; lines: AiUsageLine[] }) {
  if (lines.length === 0) return null;
  return (
    <Table aria-label={`AI usage by ${title.toLowerCase()}`}>
      <TableHeader>
        <TableRow>
          <TableHead>{title}</TableHead>
          <TableHead className="text-right">Requests</TableHead>
          <TableHead className="text-right">Input tokens</TableHead>
          <TableHead className="text-right">Output tokens</TableHead>
          <TableHead className="text-right">Cost</TableHead>
        </TableRow>
      </TableHeader>
      <TableBody>
        {lines.map((line) => (
          <TableRow key={line.key}>
            <TableCell>{line.label}</TableCell>
            <TableCell className="text-right tabular-nums">{tokens(line.requests)}</TableCell>
            <TableCell className="text-right tabular-nums">{tokens(line.inputTokens)}</TableCell>
            <TableCell className="text-right tabular-nums">{tokens(line.outputTokens)}</TableCell>
            <TableCell className="text-right tabular-nums">{usd(line.costMicros)}</TableCell>
          </TableRow>
        ))}
      </TableBody>
    </Table>
  );
}

export function AiUsageSection({ report, period, teamSlug }: { report: AiUsageReport; period: Period; teamSlug: string | null }) {
  const exportQuery = new URLSearchParams({ ...(teamSlug ? { team: teamSlug } : {}), period: "custom", from: dayString(period.from), to: dayString(lastDay(period)), kind: "ai" });
  const { total } = report;
  return (
    <section aria-labelledby="ai-usage-heading" className="flex flex-col gap-3">
      <div className="flex flex-wrap items-center justify-between gap-3">
        <h2 id="ai-usage-heading" className="text-base font-semibold">
          AI
        </h2>
        <Button asChild variant="secondary" size="sm">
          <a href={`/api/usage/export?${exportQuery}`} download>
            <Download aria-hidden="true" />
            Export AI CSV
          </a>
        </Button>
      </div>
      {total.requests === 0 ? (
        <p className="text-sm text-muted-foreground">No requests went through the AI gateway in this period.</p>
      ) : (
        <>
          <p className="text-sm">
            {tokens(total.requests)} requests · {tokens(total.inputTokens)} input and {tokens(total.outputTokens)} output tokens · {usd(total.costMicros)} at the
            configured prices
          </p>
          <Breakdown title="Team" lines={report.byTeam} />
          <Breakdown title="User" lines={report.byUser} />
          <Breakdown title="Model" lines={report.byModel} />
          <Breakdown title="Workspace" lines={report.byWorkspace} />
        </>
      )}
    </section>
  );
}
