import { revokeTokenAction } from "@/app/(app)/tokens/actions";
import { ActionButton } from "@/components/forms/action-button";
import { Table, TableBody, TableCell, TableHead, TableHeader, TableRow } from "@/components/ui/table";
import { formatDateTime, formatRelative } from "@/components/workspaces/workspace-format";
import type { ApiTokenView } from "@/lib/api-tokens/tokens";

/** The user's tokens in force, each revocable. */
export function TokenList({ tokens }: { tokens: ApiTokenView[] }) {
  if (tokens.length === 0) return <p className="text-sm text-muted-foreground">No tokens yet.</p>;
  return (
    <Table aria-label="Your API tokens">
      <TableHeader>
        <TableRow>
          <TableHead>Name</TableHead>
          <TableHead>Scopes</TableHead>
          <TableHead>Reaches</TableHead>
          <TableHead>Last used</TableHead>
          <TableHead>Expires</TableHead>
          <TableHead>
            <span className="sr-only">Actions</span>
          </TableHead>
        </TableRow>
      </TableHeader>
      <TableBody>
        {tokens.map((token) => (
          <TableRow key={token.id} data-token={token.name}>
            <TableCell>
              <div className="font-medium">{token.name}</div>
              <code className="text-xs text-muted-foreground">{token.prefix}…</code>
            </TableCell>
            <TableCell className="text-xs">{token.scopes.join(", ")}</TableCell>
            <TableCell className="text-sm">
              {token.team ? `Team ${token.team.slug}` : "Every team of yours"}
              {token.workspaceIds.length > 0 ? `, ${token.workspaceIds.length} workspace${token.workspaceIds.length === 1 ? "" : "s"}` : ""}
            </TableCell>
            <TableCell className="text-sm">{token.lastUsedAt ? <time dateTime={token.lastUsedAt.toISOString()}>{formatRelative(token.lastUsedAt.toISOString())}</time> : "Never"}</TableCell>
            <TableCell className="text-sm">
              <time dateTime={token.expiresAt.toISOString()}>{formatDateTime(token.expiresAt.toISOString())}</time>
            </TableCell>
            <TableCell className="text-right">
              <ActionButton
                action={revokeTokenAction}
                fields={{ tokenId: token.id }}
                variant="destructive"
                aria-label={`Revoke ${token.name}`}
                confirm={{
                  title: `Revoke ${token.name}?`,
                  description: "Whatever uses it is refused from its next request on. A revoked token can't be restored.",
                  confirmLabel: "Revoke token",
                }}
              >
                Revoke
              </ActionButton>
            </TableCell>
          </TableRow>
        ))}
      </TableBody>
    </Table>
  );
}
