import type { PodspaceClient } from "../lib/sdk/client";
import type { Token } from "../lib/sdk/types";
import { CliError, EXIT, usageError } from "./exit-codes";

// Commands take a workspace or token by name (what people type) or by id
// (what scripts keep); a name is looked up in the list.

/** The id of your workspace named `nameOrId`; anything else is taken as an id, which the API then finds or answers 404 for. */
export async function workspaceId(client: PodspaceClient, nameOrId: string): Promise<string> {
  for await (const workspace of client.workspaces.all({ q: nameOrId })) if (workspace.name === nameOrId) return workspace.id;
  return nameOrId;
}

export async function findToken(client: PodspaceClient, nameOrId: string): Promise<Token> {
  const tokens = await client.tokens.list();
  const byId = tokens.find((token) => token.id === nameOrId);
  if (byId) return byId;
  const named = tokens.filter((token) => token.name === nameOrId);
  if (named.length > 1) throw usageError(`${named.length} tokens are named ${nameOrId}; name one by its id (podspace tokens ls).`);
  if (named.length === 0) throw new CliError(EXIT.notFound, `No token named ${nameOrId}, nor with that id.`);
  return named[0]!;
}
