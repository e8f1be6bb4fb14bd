import { hkdfSync } from "node:crypto";
import type { IncomingMessage } from "node:http";
import { EncryptJWT, jwtDecrypt } from "jose";
import { parseCookies } from "@/lib/auth/websocket-auth";
import { env } from "@/lib/env";

// What authorizes a browser on a workspace's own IDE origin (wildcard-host
// mode) or a port's (preview URLs), where Podspace's session cookie is never
// sent. Both carry the
// user's Podspace session token, encrypted (JWE, A256GCM, a key derived from
// AUTH_SECRET) and bound to that one IDE origin, so every request is checked
// against the live session like the same-origin proxy does: signing out or
// losing access ends the IDE's access too.
// - The ticket travels once, from Podspace's page to the IDE origin in a
//   POST body (never a URL), and lives a minute.
// - The cookie is httpOnly and host-only on the IDE origin, and the proxy
//   strips it before anything reaches the workspace.

/** A handoff's ticket; a cookie carrying a session token; a cookie carrying a signed link's id (lib/ports/port-links.ts). */
export type IdeCredentialKind = "ticket" | "cookie" | "link";

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

/**
 * Cookies opened lately, until they expire. Every request to an IDE's or a
 * port's origin bears one (a page load is a hundred), and opening it (AES-GCM
 * through WebCrypto) cost more than proxying the request. Its value is fixed,
 * so what it opens to is too; whether that session still counts is asked of
 * the database by the callers, as before. Tickets are opened once: not kept.
 */
const opened = new Map<string, { sessionToken: string; expiresAt: number }>();
const MAX_OPENED = 10_000;

/** The session token inside a credential of `kind` for `ideOrigin`; null when it is forged, expired, for another origin or of the other kind. */
export async function openIdeCredential(kind: IdeCredentialKind, value: string, ideOrigin: string): Promise<string | null> {
  const cacheKey = `${kind}\0${ideOrigin}\0${value}`;
  const cached = opened.get(cacheKey);
  if (cached && cached.expiresAt > Date.now()) return cached.sessionToken;
  opened.delete(cacheKey);
  let payload;
  try {
    ({ payload } = await jwtDecrypt(value, key(), { audience: ideOrigin, typ: type(kind), keyManagementAlgorithms: ["dir"], contentEncryptionAlgorithms: ["A256GCM"] }));
  } catch {
    return null;
  }
  if (typeof payload.st !== "string" || !payload.st) return null;
  if (kind !== "ticket" && payload.exp !== undefined) {
    // The oldest first out: a Map iterates in insertion order.
    if (opened.size >= MAX_OPENED) opened.delete(opened.keys().next().value!);
    opened.set(cacheKey, { sessionToken: payload.st, expiresAt: payload.exp * 1000 });
  }
  return payload.st;
}

/** Which workspace origin a cookie signs a browser in to: an IDE's, or a port's (preview URLs, lib/ports/), by session or by signed link. */
export type OriginScope = "ide" | "port" | "link";

/** How long a port's cookie lasts at most: a preview tab open longer signs in again through Podspace, unseen, on its next navigation. */
export const PORT_COOKIE_MAX_SECONDS = 60 * 60;

/**
 * The cookie's attributes. A secure IDE origin (https, or *.localhost,
 * which browsers treat as secure) gets a partitioned SameSite=None cookie,
 * which works in Podspace's iframe even on another site and in browsers that
 * block third-party cookies; `__Host-` pins it to that one host. A plain-http
 * origin can only have SameSite=Lax, which works in the iframe when the
 * wildcard domain is a subdomain of Podspace's. A port is never framed by
 * Podspace: SameSite=Lax, so other sites' requests to the app don't carry it.
 */
function cookieShape(scope: OriginScope, origin: string) {
  const url = new URL(origin);
  const https = url.protocol === "https:";
  const secure = https || url.hostname === "localhost" || url.hostname.endsWith(".localhost");
  const attributes =
    scope !== "ide"
      ? `Path=/; HttpOnly; SameSite=Lax${https ? "; Secure" : ""}`
      : secure
        ? "Path=/; HttpOnly; Secure; SameSite=None; Partitioned"
        : "Path=/; HttpOnly; SameSite=Lax";
  return { name: `${https ? "__Host-" : ""}podspace-${scope}`, attributes };
}

/** True for an IDE, port or link cookie's name in either shape: it must never reach the workspace. */
export function isOriginCookie(name: string): boolean {
  return /^(__Host-)?podspace-(ide|port|link)$/.test(name);
}

export function originCookieHeader(scope: OriginScope, value: string, origin: string, expiresAt: Date): string {
  const { name, attributes } = cookieShape(scope, origin);
  const maxAge = Math.max(0, Math.floor((expiresAt.getTime() - Date.now()) / 1000));
  return `${name}=${value}; Max-Age=${maxAge}; ${attributes}`;
}

/** What the request's cookie of `scope` for `origin` carries, opened as a credential of `kind`; null without a valid one. */
export async function readOriginCookie(scope: OriginScope, kind: IdeCredentialKind, request: IncomingMessage, origin: string): Promise<string | null> {
  const { name } = cookieShape(scope, origin);
  const found = parseCookies(request.headers.cookie).find(([cookie]) => cookie === name);
  return found?.[1] ? openIdeCredential(kind, found[1], origin) : null;
}

/** The session token behind the request's cookie of `scope` for `origin`, or null. */
export const originCookieSessionToken = (scope: OriginScope, request: IncomingMessage, origin: string) => readOriginCookie(scope, "cookie", request, origin);
