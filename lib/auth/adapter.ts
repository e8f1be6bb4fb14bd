import type { Adapter, AdapterAccount, AdapterSession, AdapterUser } from "next-auth/adapters";
import { recordAudit } from "@/lib/audit";
import { getDb } from "@/lib/db/client";
import type { User } from "@/lib/generated/prisma/client";

// Auth.js storage on Podspace's own tables. Written here rather than taken
// from @auth/prisma-adapter because Podspace's User differs (no
// emailVerified, a deactivation flag), and because this is where two rules
// live: the first person to sign in becomes a platform admin, and a
// deactivated user's sessions stop resolving at once.

const toAdapterUser = (user: User): AdapterUser => ({
  id: user.id,
  email: user.email,
  name: user.name,
  image: user.image,
  emailVerified: null,
});

export function podspaceAdapter(): Adapter {
  const db = getDb();
  return {
    async createUser(user) {
      const created = await db.user.create({
        data: { email: user.email.toLowerCase(), name: user.name ?? null, image: user.image ?? null },
      });
      await recordAudit({ action: "user.created", actorId: null, targetType: "user", targetId: created.id, after: { email: created.email } });
      return toAdapterUser(created);
    },
    async getUser(id) {
      const user = await db.user.findUnique({ where: { id } });
      return user ? toAdapterUser(user) : null;
    },
    async getUserByEmail(email) {
      const user = await db.user.findUnique({ where: { email: email.toLowerCase() } });
      return user ? toAdapterUser(user) : null;
    },
    async getUserByAccount({ provider, providerAccountId }) {
      const account = await db.account.findUnique({
        where: { provider_providerAccountId: { provider, providerAccountId } },
        include: { user: true },
      });
      return account ? toAdapterUser(account.user) : null;
    },
    async updateUser({ id, name, image }) {
      const user = await db.user.update({ where: { id }, data: { name, image } });
      return toAdapterUser(user);
    },
    async linkAccount(account: AdapterAccount) {
      await db.$transaction(async (tx) => {
        await tx.account.create({
          data: {
            userId: account.userId,
            type: account.type,
            provider: account.provider,
            providerAccountId: account.providerAccountId,
            // Podspace never calls the IdP on the user's behalf, so no tokens are kept.
          },
        });
        // Serialize first sign-ins so exactly one person becomes the first admin.
        await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext('podspace.first-admin'))`;
        if ((await tx.account.count()) === 1) {
          await tx.user.update({ where: { id: account.userId }, data: { isPlatformAdmin: true } });
          await recordAudit(
            { action: "user.platform-admin-granted", actorId: null, targetType: "user", targetId: account.userId, after: { reason: "first user" } },
            tx,
          );
        }
      });
    },
    async createSession(session) {
      const created = await db.session.create({ data: session });
      return { sessionToken: created.sessionToken, userId: created.userId, expires: created.expires };
    },
    async getSessionAndUser(sessionToken) {
      const session = await db.session.findUnique({ where: { sessionToken }, include: { user: true } });
      if (!session) return null;
      if (session.user.deactivatedAt) {
        await db.session.deleteMany({ where: { sessionToken } });
        return null;
      }
      const adapterSession: AdapterSession = { sessionToken, userId: session.userId, expires: session.expires };
      return { session: adapterSession, user: toAdapterUser(session.user) };
    },
    async updateSession({ sessionToken, expires }) {
      const updated = await db.session.update({ where: { sessionToken }, data: { expires } }).catch(() => null);
      return updated && { sessionToken, userId: updated.userId, expires: updated.expires };
    },
    // Returns the deleted session so Auth.js's signOut event knows whose it was.
    async deleteSession(sessionToken) {
      const deleted = await db.session.delete({ where: { sessionToken } }).catch(() => null);
      return deleted && { sessionToken, userId: deleted.userId, expires: deleted.expires };
    },
  };
}
