import fs from "node:fs/promises";
import type http from "node:http";
import path from "node:path";
import { env } from "@/lib/env";
import { logger } from "@/lib/observability/logger";
import { AI_SOCKET } from "@/lib/runtime/local/sandbox";
import { aiGateway } from "./config";
import { createGatewayServer, listenOnSocket } from "./gateway-server";
import { localAiSocketDir } from "./workspace-env";

/**
 * Serves the AI gateway to workspaces, on what they can reach and nothing
 * else of Podspace's: the local runtime's socket (mounted into every
 * sandbox), or, on Kubernetes, PODSPACE_AI_PORT. Null when the gateway is off.
 */
export async function serveAiGatewayToWorkspaces(): Promise<http.Server | null> {
  const state = aiGateway();
  if (!state.on) {
    logger.info(`AI gateway: off, ${state.reason}`);
    return null;
  }
  const server = createGatewayServer(state);
  if (env.PODSPACE_RUNTIME === "local") {
    await fs.mkdir(localAiSocketDir(), { recursive: true, mode: 0o755 });
    await listenOnSocket(server, path.join(localAiSocketDir(), AI_SOCKET));
  } else {
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(env.PODSPACE_AI_PORT, env.HOST, resolve);
    });
  }
  logger.info({ providers: state.config.providers.map((provider) => provider.id), aliases: Object.keys(state.config.aliases) }, "AI gateway: serving workspaces");
  return server;
}
