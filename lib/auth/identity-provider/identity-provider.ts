import { generateKeyPairSync } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import Provider, { type Configuration } from "oidc-provider";
import type { IdentityAccount } from "./accounts";
import { renderErrorPage, renderLoginPage } from "./login-page";

export interface IdentityProviderOptions {
  /** Full issuer URL; its path is where the provider is mounted, e.g. http://localhost:3000/oidc. */
  issuer: string;
  title: string;
  client: { id: string; secret: string; name: string; redirectUris: string[] };
  accounts: IdentityAccount[];
  /** Signs the provider's cookies. */
  cookieSecret: string;
}

export type RequestHandler = (request: IncomingMessage, response: ServerResponse) => void;

/**
 * A real OpenID Connect provider (panva/oidc-provider) with a fixed set of
 * accounts and a one-click login page. Podspace bundles it so SSO works with
 * no IdP configured; tests also start one as a stand-in company IdP. Its
 * state (sessions, codes) lives in memory: Podspace keeps its own sessions.
 */
export function createIdentityProvider(options: IdentityProviderOptions): {
  mountPath: string;
  handle: RequestHandler;
} {
  const mountPath = new URL(options.issuer).pathname.replace(/\/$/, "");
  const accounts = new Map(options.accounts.map((account) => [account.id, account]));
  const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });

  const configuration: Configuration = {
    clients: [
      {
        client_id: options.client.id,
        client_secret: options.client.secret,
        client_name: options.client.name,
        redirect_uris: options.client.redirectUris,
        grant_types: ["authorization_code"],
        response_types: ["code"],
      },
    ],
    claims: { openid: ["sub"], email: ["email", "email_verified"], profile: ["name"], groups: ["groups"] },
    scopes: ["openid", "email", "profile", "groups"],
    // Put the granted claims in the ID token too, so relying parties need no userinfo call.
    conformIdTokenClaims: false,
    features: { devInteractions: { enabled: false } },
    interactions: { url: (_ctx, interaction) => `${mountPath}/interaction/${interaction.uid}` },
    cookies: { keys: [options.cookieSecret] },
    jwks: { keys: [{ ...privateKey.export({ format: "jwk" }), kid: "podspace", use: "sig", alg: "RS256" }] },
    findAccount: (_ctx, id) => {
      const account = accounts.get(id);
      if (!account) return undefined;
      return {
        accountId: id,
        claims: () => ({ sub: id, email: account.email, email_verified: true, name: account.name, groups: account.groups }),
      };
    },
    // The one client is first-party: grant what it asks for without a consent screen.
    loadExistingGrant: async (ctx) => {
      const session = ctx.oidc.session!;
      const clientId = ctx.oidc.client!.clientId;
      const grantId = ctx.oidc.result?.consent?.grantId ?? session.grantIdFor(clientId);
      if (grantId) return ctx.oidc.provider.Grant.find(grantId);
      const grant = new ctx.oidc.provider.Grant({ clientId, accountId: session.accountId! });
      grant.addOIDCScope("openid email profile groups");
      await grant.save();
      return grant;
    },
    renderError: (ctx, _out, error) => {
      ctx.type = "html";
      ctx.body = renderErrorPage(options.title, `The identity provider could not complete sign-in: ${error.message}`);
    },
  };
  const provider = new Provider(options.issuer, configuration);
  const oidc = provider.callback();

  const interaction = async (request: IncomingMessage, response: ServerResponse, uid: string, action: string) => {
    const details = await provider.interactionDetails(request, response);
    if (details.uid !== uid) throw new Error("interaction mismatch");
    if (request.method === "POST" && action === "login") {
      const form = new URLSearchParams(await readBody(request));
      const account = accounts.get(form.get("account") ?? "");
      if (!account) {
        send(response, 400, renderErrorPage(options.title, "Choose one of the listed accounts."));
        return;
      }
      await provider.interactionFinished(request, response, { login: { accountId: account.id } }, { mergeWithLastSubmission: false });
      return;
    }
    send(
      response,
      200,
      renderLoginPage(options.title, `${mountPath}/interaction/${uid}/login`, options.accounts, options.client.name),
    );
  };

  const handle: RequestHandler = (request, response) => {
    const path = (request.url ?? "/").slice(mountPath.length) || "/";
    const match = /^\/interaction\/([\w-]+)(?:\/(login))?$/.exec(path.split("?")[0]!);
    if (match) {
      interaction(request, response, match[1]!, match[2] ?? "").catch(() => {
        send(response, 400, renderErrorPage(options.title, "This sign-in attempt has expired. Start again from Podspace."));
      });
      return;
    }
    // oidc-provider routes on the path below its mount point and, like an
    // Express sub-app, finds the mount point from originalUrl.
    (request as IncomingMessage & { originalUrl?: string }).originalUrl = request.url;
    request.url = path;
    void oidc(request, response);
  };

  return { mountPath, handle };
}

function send(response: ServerResponse, status: number, html: string): void {
  if (response.headersSent) return;
  response.writeHead(status, { "content-type": "text/html; charset=utf-8", "cache-control": "no-store" });
  response.end(html);
}

async function readBody(request: IncomingMessage, limit = 16 * 1024): Promise<string> {
  let body = "";
  for await (const chunk of request) {
    body += chunk;
    if (body.length > limit) throw new Error("request body too large");
  }
  return body;
}
