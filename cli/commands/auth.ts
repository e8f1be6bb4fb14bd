import { PodspaceApiError } from "../../lib/sdk/errors";
import { PodspaceClient } from "../../lib/sdk/client";
import { text, type Command } from "../command";
import { configPath, removeCredentials, saveCredentials } from "../config";
import { usageError } from "../exit-codes";

export const login: Command = {
  name: "login",
  usage: "login --url <url> --token <token>",
  summary: "Check a token against Podspace and store it with its URL",
  options: { url: { type: "string" }, token: { type: "string" } },
  async run({ values, out }) {
    const url = text(values, "url") ?? process.env.PODSPACE_URL;
    const token = text(values, "token") ?? process.env.PODSPACE_TOKEN;
    if (!url || !token) throw usageError("Give --url <url> and --token <token> (make a token on Podspace's Tokens page).");
    if (!URL.canParse(url)) throw usageError(`Not a URL: ${url} (e.g. https://podspace.example.com).`);
    const client = new PodspaceClient({ url, token });
    // Listing your tokens proves this one works and tells its name; a token without the read scope works all the same.
    const tokens = await client.tokens.list().catch((error: unknown) => {
      if (error instanceof PodspaceApiError && error.code === "insufficient_scope") return [];
      throw error;
    });
    const self = tokens.find((listed) => token.startsWith(listed.prefix));
    const file = await saveCredentials({ url, token });
    out.result({ url, token: self ?? null, config: file }, () =>
      out.line(`Logged in to ${url}${self ? ` with token ${self.name} (${self.scopes.join(", ")})` : ""}; saved in ${file}.`),
    );
  },
};

export const logout: Command = {
  name: "logout",
  usage: "logout",
  summary: "Forget the stored URL and token (the token stays valid: revoke it to end it)",
  async run({ out }) {
    const removed = await removeCredentials();
    out.result({ removed, config: configPath() }, () => out.line(removed ? `Removed ${configPath()}.` : "Not logged in."));
  },
};
