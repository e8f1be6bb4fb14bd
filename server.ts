import http from "node:http";
import next from "next";
import { createIdentityProvider } from "@/lib/auth/identity-provider/identity-provider";
import { DEMO_ACCOUNTS } from "@/lib/auth/identity-provider/accounts";
import { callbackUrl, demoProviderSettings } from "@/lib/auth/settings";
import { closeDb, databaseTarget } from "@/lib/db/client";
import { prepareDatabase } from "@/lib/db/prepare";
import { ConfigError, env } from "@/lib/env";
import { MigrationError } from "@/lib/db/migrate";
import { closeRuntime, getRuntime } from "@/lib/runtime/runtime";
import { electLeader } from "@/lib/server/leader";
import { currentReplica } from "@/lib/server/replica";
import { logger } from "@/lib/observability/logger";
import { createRouteLabeler, instrumentRequests, pathOf } from "@/lib/observability/http";
import { seedBuiltInTemplates } from "@/lib/templates/seed";
import { exitGracefullyOnSignals } from "@/lib/server/shutdown";
import { resolveLocalhostNames } from "@/lib/server/localhost-names";
import { registerReconciler } from "@/lib/workspaces/reconcile-trigger";
import { createPolicyLoop } from "@/lib/workspaces/policy-loop";
import { createWarmPoolLoop } from "@/lib/workspaces/warm-pool/refill-loop";
import { createReconciler } from "@/lib/workspaces/reconciler";
import { reconcileWakeups } from "@/lib/workspaces/reconcile-wakeups";
import { createUsageLoop } from "@/lib/usage/usage-loop";
import { createBackupLoop } from "@/lib/backups/backup-loop";
import { createGateway, podspaceRoutes } from "@/lib/server/gateway";
import { createIdeProxy } from "@/lib/ide/proxy";
import { createPortProxy } from "@/lib/ports/port-proxy";
import { previewHost } from "@/lib/ports/preview-host";
import { createTerminalService } from "@/lib/terminal/route";
import { execSocketRoute } from "@/lib/api/v1/exec-socket";
import { portForwardRoute } from "@/lib/api/v1/port-forward-socket";
import { apiTerminalGate } from "@/lib/api/v1/terminal-socket";
import { serveAiGatewayToWorkspaces } from "@/lib/ai/serve";

// The one HTTP server for development and production: Next.js for pages and
// routes, plus WebSocket upgrades (terminal, IDE proxy, the API's) that Next.js's own
// server cannot take.

async function main() {
  const dev = env.NODE_ENV !== "production";
  // tsx turns on Node's source maps, which then reads and keeps the map of
  // every module it loads: the .next chunks' with their sources were ~45 MB of
  // a ~190 MB live heap under load. Production stack traces point into the
  // built files instead, as under `next start`, which leaves them off.
  if (!dev) process.setSourceMapsEnabled(false);
  resolveLocalhostNames();

  const applied = await prepareDatabase(databaseTarget());
  if (applied.length > 0) logger.info({ migrations: applied }, `applied migrations ${applied.join(", ")}`);
  const seeded = await seedBuiltInTemplates();
  if (seeded.created.length + seeded.updated.length > 0) {
    logger.info({ templates: [...seeded.created, ...seeded.updated] }, "built-in templates installed");
  }
  // Created now so that a runtime misconfiguration stops startup, not the first workspace.
  const runtime = await getRuntime();
  logger.info({ runtime: runtime.kind }, `workspaces run on the ${runtime.kind} runtime`);
  const reconciler = createReconciler(runtime, { wakeups: reconcileWakeups(databaseTarget()) });
  const policyLoop = createPolicyLoop();
  const replica = currentReplica();
  const usageLoop = createUsageLoop();
  const warmPoolLoop = createWarmPoolLoop();
  const backupLoop = createBackupLoop(runtime);
  const leadership = electLeader(databaseTarget(), {
    onElected: () => {
      logger.info({ replica: replica.id }, "elected leader: this replica runs the background loops");
      registerReconciler(reconciler);
      // Before the reconciler: the backups it starts itself (before a delete) aren't taken for a crashed process's.
      backupLoop.start();
      reconciler.start();
      policyLoop.start();
      usageLoop.start();
      warmPoolLoop.start();
    },
    onDemoted: async () => {
      logger.warn({ replica: replica.id }, "no longer the leader: background loops stopped here");
      await policyLoop.stop();
      await usageLoop.stop();
      await warmPoolLoop.stop();
      registerReconciler(undefined);
      await reconciler.stop();
      // Last: it waits for the backups under way (minutes, for a big home), which the other loops needn't.
      await backupLoop.stop();
    },
  }, { replicaId: replica.id });

  // Next.js attaches its own 'upgrade' listener to the server it is given, or
  // else to the server of the first request it sees. Upgrades are routed here
  // instead, so it gets a server object that never listens, and the router
  // hands it the development server's sockets (HMR, which Turbopack's client
  // also loads chunks over: without it no page hydrates). Next attaches that
  // listener at its first request, which comes before any page can open HMR.
  // app.getUpgradeHandler() is not that listener: it reaches the page
  // renderer, which ignores HMR and leaves the socket hanging.
  const nextUpgrades = new http.Server();
  const app = next({ dev, dir: import.meta.dirname, hostname: env.HOST, port: env.PORT, httpServer: nextUpgrades });
  await app.prepare();
  const handleRequest = app.getRequestHandler();

  // Everything outside Next.js, and who may use it, is in lib/server/gateway.ts's table.
  const terminals = createTerminalService({ runtime });
  const preview = previewHost();
  const gateway = createGateway(
    podspaceRoutes({
      ide: createIdeProxy({ runtime }),
      ports: preview && createPortProxy({ runtime, previewHost: preview }),
      terminal: terminals.route,
      apiExec: execSocketRoute(),
      apiTerminal: terminals.routeFor(apiTerminalGate),
      apiPortForward: portForwardRoute({ runtime }),
      identityProvider: bundledIdentityProvider(),
      next: {
        handle: (request, response) => void handleRequest(request, response),
        upgrade: dev ? (request, socket, head) => nextUpgrades.emit("upgrade", request, socket, head) : undefined,
      },
    }),
  );
  const labelRoute = createRouteLabeler(import.meta.dirname);
  const labelRequest = (request: http.IncomingMessage) => gateway.nameOf(request) ?? labelRoute(pathOf(request));
  const server = http.createServer(instrumentRequests(labelRequest, gateway.handleRequest));
  server.on("upgrade", gateway.sockets.handleUpgrade);
  await listen(server);
  const aiServer = await serveAiGatewayToWorkspaces();
  exitGracefullyOnSignals({
    server,
    router: gateway.sockets,
    cleanup: async () => {
      aiServer?.closeAllConnections();
      aiServer?.close();
      await leadership.stop();
      await Promise.all([closeRuntime(), closeDb()]);
    },
  });
  // e2e/harness.ts waits for this message.
  logger.info({ replica: replica.id, internalUrl: replica.internalUrl }, `podspace: ready on ${env.PODSPACE_URL} (${dev ? "development" : "production"})`);
}

/** The demo OpenID provider, mounted on this server when no company IdP is configured. */
function bundledIdentityProvider() {
  const settings = demoProviderSettings();
  if (!settings) return null;
  logger.warn({ issuer: settings.issuer }, "demo identity provider enabled (not for production use)");
  return createIdentityProvider({
    issuer: settings.issuer,
    title: settings.name,
    client: { id: settings.clientId, secret: settings.clientSecret, name: "Podspace", redirectUris: [callbackUrl(settings.id)] },
    accounts: DEMO_ACCOUNTS,
    cookieSecret: env.AUTH_SECRET!,
  });
}

function listen(server: http.Server): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once("error", (error: NodeJS.ErrnoException) => {
      reject(
        error.code === "EADDRINUSE" || error.code === "EACCES"
          ? new ConfigError(`PORT: cannot listen on ${env.PORT} (${error.code === "EADDRINUSE" ? "already in use" : "permission denied"})`)
          : error,
      );
    });
    server.listen(env.PORT, env.HOST, resolve);
  });
}

main().catch(async (error: unknown) => {
  // Known misconfigurations get one line naming what to fix; anything else is a bug and keeps its stack.
  const expected = error instanceof ConfigError || error instanceof MigrationError;
  // The former is the operator's answer to a refused start, a plain line like
  // lib/env.ts's for invalid settings; the latter a structured log entry.
  if (expected) console.error(`podspace: ${error.message}`);
  else logger.fatal({ err: error }, "startup failed");
  await closeDb().catch(() => {});
  process.exit(1);
});
