import NextAuth from "next-auth";
import type { OIDCConfig } from "next-auth/providers";
import { z } from "zod";
import { recordAudit } from "@/lib/audit";
import { getDb } from "@/lib/db/client";
import { env } from "@/lib/env";
import { podspaceAdapter } from "./adapter";
import { rolesFromGroups, syncGroupMemberships } from "./group-sync";
import { groupMappingRules, oidcProviders, platformAdminEmails, type OidcProviderSettings } from "./settings";

// Auth.js builds callback URLs from AUTH_URL when it is set; pin it to the
// configured public URL so they match what the identity providers registered,
// whatever Host header a request arrived with.
process.env.AUTH_URL ??= `${env.PODSPACE_URL}/api/auth`;

interface OidcProfile {
  sub: string;
  email?: string;
  name?: string;
  preferred_username?: string;
  picture?: string;
  [claim: string]: unknown;
}

function toAuthJsProvider(settings: OidcProviderSettings): OIDCConfig<OidcProfile> {
  return {
    id: settings.id,
    name: settings.name,
    type: "oidc",
    issuer: settings.issuer,
    clientId: settings.clientId,
    clientSecret: settings.clientSecret,
    authorization: { params: { scope: settings.scopes } },
    checks: ["pkce", "state", "nonce"],
    // The company IdP is the authority on who owns an email address; this is
    // also how a member added by email before their first sign-in is matched.
    allowDangerousEmailAccountLinking: true,
    profile: (profile) => ({
      id: profile.sub,
      email: profile.email?.toLowerCase(),
      name: profile.name ?? profile.preferred_username ?? null,
      image: profile.picture ?? null,
    }),
  };
}

const groupsClaim = z.array(z.string()).catch([]);

export const { handlers, auth, signIn, signOut } = NextAuth(() => ({
  adapter: podspaceAdapter(),
  providers: oidcProviders().map(toAuthJsProvider),
  secret: env.AUTH_SECRET,
  trustHost: true,
  // Sessions live in the database so that deactivation or removal takes
  // effect on the next request, not when a token expires.
  session: { strategy: "database", maxAge: 30 * 24 * 60 * 60, updateAge: 24 * 60 * 60 },
  pages: { signIn: "/login", error: "/login" },
  callbacks: {
    async signIn({ user }) {
      if (!user.email) return "/login?error=EmailRequired";
      const existing = await getDb().user.findUnique({ where: { email: user.email.toLowerCase() } });
      // A service account acts only through its tokens, whatever an identity provider claims.
      if (existing?.isServiceAccount) {
        await recordAudit({ action: "auth.sign-in-refused", actorId: existing.id, targetType: "user", targetId: existing.id, after: { reason: "service account" } });
        return "/login?error=Deactivated";
      }
      if (existing?.deactivatedAt) {
        await recordAudit({ action: "auth.sign-in-refused", actorId: existing.id, targetType: "user", targetId: existing.id, after: { reason: "deactivated" } });
        return "/login?error=Deactivated";
      }
      return true;
    },
    // Only what the browser may see: the adapter's session also carries the
    // session token, which must stay in its httpOnly cookie.
    session: ({ session, user }) => ({
      expires: session.expires,
      user: { id: user.id, email: user.email, name: user.name, image: user.image },
    }),
  },
  events: {
    async signIn({ user, account, profile }) {
      const userId = user.id!;
      const email = user.email!.toLowerCase();
      const db = getDb();
      await db.user.update({ where: { id: userId }, data: { lastSeenAt: new Date() } });
      if (platformAdminEmails().includes(email)) {
        const before = await db.user.findUniqueOrThrow({ where: { id: userId } });
        if (!before.isPlatformAdmin) {
          await db.user.update({ where: { id: userId }, data: { isPlatformAdmin: true } });
          await recordAudit({ action: "user.platform-admin-granted", actorId: null, targetType: "user", targetId: userId, after: { reason: "PODSPACE_ADMIN_EMAILS" } });
        }
      }
      const groups = groupsClaim.parse(profile?.[env.PODSPACE_GROUPS_CLAIM]);
      await syncGroupMemberships(userId, rolesFromGroups(groups, groupMappingRules(), new RegExp(env.PODSPACE_GROUPS_FILTER)));
      await recordAudit({ action: "auth.sign-in", actorId: userId, targetType: "user", targetId: userId, after: { provider: account?.provider ?? null } });
    },
    async signOut(message) {
      const session = "session" in message ? message.session : null;
      if (session) await recordAudit({ action: "auth.sign-out", actorId: session.userId, targetType: "user", targetId: session.userId });
    },
  },
}));
