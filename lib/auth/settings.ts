import { createHmac } from "node:crypto";
import { env } from "@/lib/env";
import { DEMO_ADMIN_EMAILS, DEMO_GROUP_MAPPING } from "./identity-provider/accounts";
import type { GroupMappingRule } from "./group-sync";

// Sign-in settings derived from the environment. server.ts (which mounts the
// bundled identity provider) and Auth.js (which talks to it) both read them
// here, so the two always agree.

export interface OidcProviderSettings {
  id: string;
  name: string;
  issuer: string;
  clientId: string;
  clientSecret: string;
  scopes: string;
}

export const DEMO_PROVIDER_ID = "demo";

export function demoIdentityProviderEnabled(): boolean {
  return env.PODSPACE_DEMO_IDP === "true" || (env.PODSPACE_DEMO_IDP === "auto" && env.PODSPACE_OIDC_PROVIDERS.length === 0);
}

/** The bundled provider as a relying party sees it; null when it is off. */
export function demoProviderSettings(): OidcProviderSettings | null {
  if (!demoIdentityProviderEnabled()) return null;
  return {
    id: DEMO_PROVIDER_ID,
    name: "Demo identity provider",
    issuer: `${env.PODSPACE_URL}/oidc`,
    clientId: "podspace",
    // Derived, not stored: both ends compute the same value from AUTH_SECRET.
    clientSecret: createHmac("sha256", env.AUTH_SECRET!).update("podspace demo identity provider client").digest("base64url"),
    scopes: "openid email profile groups",
  };
}

export function oidcProviders(): OidcProviderSettings[] {
  const demo = demoProviderSettings();
  return demo ? [...env.PODSPACE_OIDC_PROVIDERS, demo] : env.PODSPACE_OIDC_PROVIDERS;
}

export function callbackUrl(providerId: string): string {
  return `${env.PODSPACE_URL}/api/auth/callback/${providerId}`;
}

export function groupMappingRules(): GroupMappingRule[] {
  return demoIdentityProviderEnabled() ? [...env.PODSPACE_GROUP_MAPPING, ...DEMO_GROUP_MAPPING] : env.PODSPACE_GROUP_MAPPING;
}

export function platformAdminEmails(): string[] {
  return demoIdentityProviderEnabled() ? [...env.PODSPACE_ADMIN_EMAILS, ...DEMO_ADMIN_EMAILS] : env.PODSPACE_ADMIN_EMAILS;
}
