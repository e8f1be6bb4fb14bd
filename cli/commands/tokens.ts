import type { Token } from "../../lib/sdk/types";
import { argument, number, text, texts, type Command } from "../command";
import { usageError } from "../exit-codes";
import { printTable } from "../output";
import { findToken } from "../resolve";

const date = (iso: string | null) => (iso === null ? "never" : iso.slice(0, 16).replace("T", " "));

export const tokensList: Command = {
  name: "tokens ls",
  usage: "tokens ls",
  summary: "List your API tokens in force",
  async run({ out, client }) {
    const tokens = await (await client()).tokens.list();
    out.result(tokens, () =>
      printTable(
        ["NAME", "ID", "PREFIX", "SCOPES", "TEAM", "EXPIRES", "LAST USED"],
        tokens.map((token: Token) => [token.name, token.id, token.prefix, token.scopes.join(","), token.team?.slug ?? "", date(token.expiresAt), date(token.lastUsedAt)]),
      ),
    );
  },
};

export const tokensCreate: Command = {
  name: "tokens create",
  usage: "tokens create <name> --scope <scope>… [--days <n>] [--team <slug>]",
  summary: "Make a token (scopes: read, workspaces:write, exec, tokens:write, ai, admin) and print its secret, shown this once",
  options: { scope: { type: "string", multiple: true }, days: { type: "string", default: "30" }, team: { type: "string" } },
  async run(context) {
    const name = argument(context, "token");
    const scopes = texts(context.values, "scope");
    if (scopes.length === 0) throw usageError("Give at least one --scope (read, workspaces:write, exec, tokens:write, ai, admin).");
    const created = await (await context.client()).tokens.create({
      name,
      days: number(context.values, "days")!,
      scopes: scopes as Token["scopes"],
      team: text(context.values, "team"),
    });
    context.out.result(created, () => {
      context.out.line(`Created token ${created.name} (${created.scopes.join(", ")}), valid until ${date(created.expiresAt)}. Its secret, shown this once:`);
      context.out.line(created.token);
    });
  },
};

export const tokensRevoke: Command = {
  name: "tokens revoke",
  usage: "tokens revoke <name-or-id>",
  summary: "Revoke one of your tokens; it stops working at once",
  async run(context) {
    const client = await context.client();
    const token = await findToken(client, argument(context, "token"));
    await client.tokens.revoke(token.id);
    context.out.result({ revoked: token.id }, () => context.out.line(`Revoked token ${token.name}.`));
  },
};
