import { createHash } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { z } from "zod";
import type { CurrentUser } from "@/lib/auth/current-user";
import { connectableWorkspace, podspaceOrigin, sessionForToken } from "@/lib/auth/websocket-auth";
import { env } from "@/lib/env";
import { IDE_TICKET_TTL_SECONDS, openIdeCredential, originCookieHeader, originCookieSessionToken, sealIdeCredential, type OriginScope } from "./ide-credentials";
import { sendPlain } from "@/lib/server/plain-response";

// Signing a browser in to a workspace's own origin (its IDE's in the
// wildcard-host mode, or one of its ports', lib/ports/) without a token in
// any URL:
// 1. A path on Podspace's origin (/w/<id>/ide/…, /w/<id>/ports/<port>/…),
//    where the session cookie is, answers with a page that POSTs a
//    one-minute ticket to the workspace's origin.
// 2. That origin's IDE_SESSION_PATH checks the ticket, the session and
//    access, sets its own cookie and redirects to IDE_CHECK_PATH.
// 3. IDE_CHECK_PATH sends the browser on if the cookie stuck, or explains
//    why not: a browser that refuses the cookie would otherwise bounce
//    between the two origins forever.

export const IDE_SESSION_PATH = "/__podspace/session";
export const IDE_CHECK_PATH = "/__podspace/check";
const RESERVED_PREFIX = "/__podspace/";

/** The handoff form is tiny; anything bigger isn't one. */
const MAX_FORM_BYTES = 16 * 1024;

/**
 * A path on the same origin, as a browser will read it; anything else
 * (//host, /\host, a URL, nothing) becomes "/". Judged by parsing it as
 * browsers do, not by its first characters: they drop tabs and newlines
 * anywhere in a URL, so "/\t/evil.example" is //evil.example to them. What
 * goes on is the parsed path, so it is what was judged.
 */
export const localPath = z
  .string()
  .transform((value, context) => {
    const base = "http://same-origin.invalid";
    const url = URL.parse(value, base);
    if (!value.startsWith("/") || url?.origin !== base) {
      context.addIssue({ code: "custom", message: "Not a path on this origin." });
      return z.NEVER;
    }
    return `${url.pathname}${url.search}${url.hash}`;
  })
  .catch("/");

/** What the handoff page posts; a missing ticket is an empty one, which opens as invalid. */
const handoffForm = z.object({ ticket: z.string().catch(""), path: localPath });

const SUBMIT_SCRIPT = "document.forms[0].submit();";
const SUBMIT_SCRIPT_HASH = createHash("sha256").update(SUBMIT_SCRIPT).digest("base64");

/** The pages' look: inline, allowed by its hash alone, as nothing else may load on a workspace's origin. */
const PAGE_STYLE =
  "body{font:16px/1.5 system-ui,sans-serif;color:#18181b;background:#fafafa;margin:0;display:grid;place-items:center;min-height:100vh}" +
  "main{max-width:32rem;margin:1.5rem;padding:1.5rem 2rem;background:#fff;border:1px solid #e4e4e7;border-radius:.75rem}" +
  "h1{font-size:1.25rem;margin:0 0 .5rem}button{font:inherit;color:#fff;background:#18181b;border:0;border-radius:.375rem;padding:.5rem 1rem;cursor:pointer}" +
  "@media (prefers-color-scheme:dark){body{color:#fafafa;background:#09090b}main{background:#18181b;border-color:#27272a}button{color:#18181b;background:#fafafa}}";
/** The CSP source that lets page()'s style apply. */
export const PAGE_STYLE_SRC = `style-src 'sha256-${createHash("sha256").update(PAGE_STYLE).digest("base64")}'`;

/** True for the IDE origin's own paths, which never reach the workspace. */
export const isHandoffPath = (pathname: string) => pathname.startsWith(RESERVED_PREFIX);

/** Where on Podspace's origin a browser gets (back) into a workspace's IDE at `path`. */
export const handoffUrl = (workspaceId: string, path = "/") => `${env.PODSPACE_URL}/w/${workspaceId}/ide${path}`;

/** The workspace origin a handoff signs in to. */
export interface HandoffDestination {
  scope: OriginScope;
  origin: string;
  /** What is there, for people: "the IDE", "port 3000 of my-workspace". */
  title: string;
  /** Where on Podspace's origin a browser starts (over) for `path` there. */
  startUrl(path: string): string;
  /** Whether the session's user may be signed in there. */
  admits(user: CurrentUser): Promise<boolean>;
  /** When the cookie ends, given when the session does. */
  cookieExpiry(sessionExpires: Date): Date;
}

/** A workspace's IDE on its own origin. */
export function ideDestination(workspaceId: string, ideOrigin: string): HandoffDestination {
  return {
    scope: "ide",
    origin: ideOrigin,
    title: "the IDE",
    startUrl: (path) => handoffUrl(workspaceId, path),
    admits: async (user) => (await connectableWorkspace(user, workspaceId)) !== null,
    cookieExpiry: (sessionExpires) => sessionExpires,
  };
}

/** Step 1, on Podspace's origin: the page that carries a fresh ticket to the destination's origin. */
export async function sendHandoffPage(response: ServerResponse, options: { destination: HandoffDestination; sessionToken: string; path: string }): Promise<void> {
  const { destination, sessionToken, path } = options;
  const { origin } = destination;
  const ticket = await sealIdeCredential("ticket", sessionToken, origin, new Date(Date.now() + IDE_TICKET_TTL_SECONDS * 1000));
  const html = page(
    `Opening ${destination.title}…`,
    `<form method="post" action="${escapeHtml(origin + IDE_SESSION_PATH)}">
<input type="hidden" name="ticket" value="${escapeHtml(ticket)}">
<input type="hidden" name="path" value="${escapeHtml(path)}">
<p>Opening ${escapeHtml(destination.title)}…</p>
<noscript><button type="submit">Continue</button></noscript>
</form>
<script>${SUBMIT_SCRIPT}</script>`,
  );
  response
    .writeHead(200, {
      "content-type": "text/html; charset=utf-8",
      "cache-control": "no-store",
      // Not no-referrer: browsers then send `Origin: null` with the POST, which acceptTicket must refuse.
      "referrer-policy": "origin",
      "content-security-policy": `default-src 'none'; script-src 'sha256-${SUBMIT_SCRIPT_HASH}'; ${PAGE_STYLE_SRC}; form-action ${origin}; base-uri 'none'; frame-ancestors 'self'`,
    })
    .end(html);
}

/** Steps 2 and 3, on the destination's origin. */
export async function handleHandoffRequest(request: IncomingMessage, response: ServerResponse, destination: HandoffDestination): Promise<void> {
  const { origin } = destination;
  const url = new URL(request.url ?? "/", origin);
  if (url.pathname === IDE_SESSION_PATH && request.method === "POST") return acceptTicket(request, response, destination);
  if (url.pathname === IDE_CHECK_PATH && request.method === "GET") {
    const next = localPath.parse(url.searchParams.get("next"));
    if (await originCookieSessionToken(destination.scope, request, origin)) {
      response.writeHead(303, { location: next, "cache-control": "no-store" }).end();
      return;
    }
    const html = page(
      "A cookie is needed",
      `<h1>A cookie is needed</h1>
<p>This browser did not keep the sign-in cookie for ${escapeHtml(origin)}, where ${escapeHtml(destination.title)} is served.
Allow cookies for that site, or <a href="${escapeHtml(destination.startUrl(next))}" target="_blank" rel="noopener">open it in a new tab</a>.</p>`,
    );
    response.writeHead(403, { "content-type": "text/html; charset=utf-8", "cache-control": "no-store", "content-security-policy": `default-src 'none'; ${PAGE_STYLE_SRC}` }).end(html);
    return;
  }
  sendPlain(response, 404, "Not found.");
}

async function acceptTicket(request: IncomingMessage, response: ServerResponse, destination: HandoffDestination) {
  const { origin } = destination;
  // Only Podspace's handoff page may sign a browser in here: another site
  // could otherwise post its own ticket and open its workspace in yours.
  if (request.headers.origin !== podspaceOrigin()) return sendPlain(response, 403, "Forbidden.");
  const form = await readForm(request);
  if (!form) {
    // Answer first, then drop the connection rather than read the rest.
    response.setHeader("connection", "close");
    response.once("finish", () => request.destroy());
    return sendPlain(response, 413, "Too large.");
  }
  const { ticket, path } = handoffForm.parse(Object.fromEntries(form));
  const token = await openIdeCredential("ticket", ticket, origin);
  if (!token) {
    // Expired (a page left open for a minute) or not ours: start over for a fresh one.
    response.writeHead(303, { location: destination.startUrl(path), "cache-control": "no-store" }).end();
    return;
  }
  const session = await sessionForToken(token);
  if (!session || !(await destination.admits(session.user))) return sendPlain(response, 404, "Not found.");
  const expires = destination.cookieExpiry(session.expires);
  const cookie = await sealIdeCredential("cookie", token, origin, expires);
  response
    .writeHead(303, {
      location: `${IDE_CHECK_PATH}?${new URLSearchParams({ next: path })}`,
      "set-cookie": originCookieHeader(destination.scope, cookie, origin, expires),
      "cache-control": "no-store",
    })
    .end();
}

function readForm(request: IncomingMessage): Promise<URLSearchParams | null> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_FORM_BYTES) return resolve(null);
      chunks.push(chunk);
    });
    request.once("end", () => resolve(new URLSearchParams(Buffer.concat(chunks).toString("utf8"))));
    request.once("error", reject);
  });
}

export function page(title: string, body: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width"><title>${escapeHtml(title)}</title><style>${PAGE_STYLE}</style></head>
<body><main>${body}</main></body></html>`;
}

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);
}
