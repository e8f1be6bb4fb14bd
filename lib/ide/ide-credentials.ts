import { hkdfSync } from "node:crypto";
import type { IncomingMessage } from "node:http";
import { EncryptJWT, jwtDecrypt } from "jose";
import { parseCookies } from "@/lib/auth/websocket-auth";
import { env } from "@/lib/env";

// What authorizes a browser on a workspace's own IDE origin (wildcard-host
// mode), where Podspace's session cookie is never sent. Both carry the
// user's Podspace session token, encrypted (JWE, A256GCM, a key derived from
// AUTH_SECRET) and bound to that one IDE origin, so every request is checked
// against the live session like the same-origin proxy does: signing out or
// losing access ends the IDE's access too.
// - The ticket travels once, from Podspace's page to the IDE origin in a
//   POST body (never a URL), and lives a minute.
// - The cookie is httpOnly and host-only on the IDE origin, and the proxy
//   strips it before anything reaches the workspace.

export type IdeCredentialKind = "ticket" | "cookie";

export const IDE_TICKET_TTL_SECONDS = 60;

let derivedKey: Uint8Array | undefined;
/** Derived once: every request to an IDE host opens its cookie with it. */
const key = () => (derivedKey ??= new Uint8Array(hkdfSync("sha256", env.AUTH_SECRET!, "", "podspace ide credential", 32)));
const type = (kind: IdeCredentialKind) => `podspace-ide-${kind}`;

export async function sealIdeCredential(kind: IdeCredentialKind, sessionToken: string, ideOrigin: string, expiresAt: Date): Promise<string> {
  return new EncryptJWT({ st: sessionToken })
    .setProtectedHeader({ alg: "dir", enc: "A256GCM", typ: type(kind) })
    .setAudience(ideOrigin)
    .setIssuedAt()
    .setExpirationTime(expiresAt)
    .encrypt(key());
}

/** The session token inside a credential of `kind` for `ideOrigin`; null when it is forged, expired, for another origin or of the other kind. */
export async function openIdeCredential(kind: IdeCredentialKind, value: string, ideOrigin: string): Promise<string | null> {
  try {
    const { payload } = await jwtDecrypt(value, key(), { audience: ideOrigin, typ: type(kind), keyManagementAlgorithms: ["dir"], contentEncryptionAlgorithms: ["A256GCM"] });
    return typeof payload.st === "string" && payload.st ? payload.st : null;
  } catch {
    return null;
  }
}

/**
 * The IDE cookie's attributes. A secure IDE origin (https, or *.localhost,
 * which browsers treat as secure) gets a partitioned SameSite=None cookie,
 * which works in Podspace's iframe even on another site and in browsers that
 * block third-party cookies; `__Host-` pins it to that one host. A plain-http
 * origin can only have SameSite=Lax, which works in the iframe when the
 * wildcard domain is a subdomain of Podspace's.
 */
function cookieShape(ideOrigin: string) {
  const url = new URL(ideOrigin);
  const secure = url.protocol === "https:" || url.hostname === "localhost" || url.hostname.endsWith(".localhost");
  return {
    name: url.protocol === "https:" ? "__Host-podspace-ide" : "podspace-ide",
    attributes: secure ? "Path=/; HttpOnly; Secure; SameSite=None; Partitioned" : "Path=/; HttpOnly; SameSite=Lax",
  };
}

/** True for the IDE cookie's name in either shape: it must never reach the workspace. */
export function isIdeCookie(name: string): boolean {
  return name === "podspace-ide" || name === "__Host-podspace-ide";
}

export function ideCookieHeader(value: string, ideOrigin: string, expiresAt: Date): string {
  const { name, attributes } = cookieShape(ideOrigin);
  const maxAge = Math.max(0, Math.floor((expiresAt.getTime() - Date.now()) / 1000));
  return `${name}=${value}; Max-Age=${maxAge}; ${attributes}`;
}

/** The session token behind the request's IDE cookie for `ideOrigin`, or null. */
export async function ideCookieSessionToken(request: IncomingMessage, ideOrigin: string): Promise<string | null> {
  const { name } = cookieShape(ideOrigin);
  const found = parseCookies(request.headers.cookie).find(([cookie]) => cookie === name);
  return found?.[1] ? openIdeCredential("cookie", found[1], ideOrigin) : null;
}
