import type { Metadata } from "next";
import { notFound } from "next/navigation";
import { CircleCheck, CircleX } from "lucide-react";

import { Badge } from "@/components/ui/badge";
import { Table, TableBody, TableCell, TableHead, TableHeader, TableRow } from "@/components/ui/table";
import { requireUser } from "@/lib/auth/current-user";
import { can } from "@/lib/authz";
import { backupHealth } from "@/lib/backups/queries";
import { platformHealth } from "@/lib/observability/health";

export const metadata: Metadata = {
  title: "Health",
};

// Checked afresh on every visit: this page is where an admin looks when something is wrong.
export const dynamic = "force-dynamic";

export default async function AdminHealthPage() {
  const actor = await requireUser();
  if (!can(actor, "user:administer")) notFound();
  const checks = await platformHealth();
  const failing = checks.filter((check) => !check.ok).length;
  const backups = await backupHealth();

  return (
    <div className="flex flex-col gap-6">
      <div className="flex flex-col gap-1">
        <h1 className="text-2xl font-semibold tracking-tight">Health</h1>
        <p className="text-sm text-muted-foreground">
          {failing === 0 ? "Everything Podspace depends on answers." : `${failing} of ${checks.length} checks failing.`} Checked by the replica that
          served this page; reload to check again.
        </p>
      </div>
      <Table>
        <TableHeader>
          <TableRow>
            <TableHead>Check</TableHead>
            <TableHead>Status</TableHead>
            <TableHead>Details</TableHead>
          </TableRow>
        </TableHeader>
        <TableBody>
          {checks.map((check) => (
            <TableRow key={check.name}>
              <TableCell className="font-medium">{check.name}</TableCell>
              <TableCell>
                {check.ok ? (
                  <Badge variant="success">
                    <CircleCheck aria-hidden="true" /> OK
                  </Badge>
                ) : (
                  <Badge variant="destructive">
                    <CircleX aria-hidden="true" /> Failing
                  </Badge>
                )}
              </TableCell>
              <TableCell className="whitespace-normal break-words text-muted-foreground">{check.detail}</TableCell>
            </TableRow>
          ))}
          {/* Where workspaces' backups go, and whether the daily check of each team's repository found it sound. */}
          <TableRow>
            <TableCell className="font-medium">Backups</TableCell>
            <TableCell>
              {!backups.store ? (
                <Badge variant="outline">Off</Badge>
              ) : backups.failingChecks.length > 0 ? (
                <Badge variant="destructive">
                  <CircleX aria-hidden="true" /> Failing
                </Badge>
              ) : (
                <Badge variant="success">
                  <CircleCheck aria-hidden="true" /> On
                </Badge>
              )}
            </TableCell>
            <TableCell className="whitespace-normal break-words text-muted-foreground">
              {backups.store ? `Workspaces' homes are backed up with restic to ${backups.store}.` : `${backups.offReason} No workspace is backed up.`}
              {backups.failingChecks.map((check) => (
                <span key={check.slug} className="mt-1 block text-destructive">
                  Team {check.slug}&apos;s repository failed its check{check.checkedAt ? ` of ${check.checkedAt.toISOString().slice(0, 16).replace("T", " ")} UTC` : ""}: {check.error}
                </span>
              ))}
            </TableCell>
          </TableRow>
        </TableBody>
      </Table>
    </div>
  );
}
