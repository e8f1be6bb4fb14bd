import path from "node:path";
import { env } from "@/lib/env";
import { SANDBOX_AI_PORT } from "@/lib/runtime/local/sandbox";
import { aiGateway, type AiGatewayState } from "./config";
import { workspaceAiToken } from "./workspace-token";

// What a workspace finds in its environment to use the AI gateway with no
// setup: the base URLs OpenAI's and Anthropic's SDKs (and the tools built on
// them) read, and its own key for both. The URL leads to a server with the
// gateway's routes and nothing else of Podspace's: on the local runtime the
// relay's port on the sandbox's loopback (a Unix socket beyond it), on
// Kubernetes Podspace's AI port, the only one of Podspace's the team's
// NetworkPolicy lets workspace pods reach.

/** The local runtime's gateway socket folder, which every sandbox mounts. */
export const localAiSocketDir = () => path.join(env.PODSPACE_DATA_DIR, "runtime", "ai");

/** The gateway's base URL as a workspace reaches it, up to but without /v1; null when it can't (Kubernetes without PODSPACE_AI_INTERNAL_URL). */
function baseUrl(): string | null {
  if (env.PODSPACE_RUNTIME === "local") return `http://127.0.0.1:${SANDBOX_AI_PORT}`;
  return env.PODSPACE_AI_INTERNAL_URL?.replace(/\/$/, "") ?? null;
}

/** The gateway's URLs (env) and the workspace's key (secretEnv: WorkspaceSpec's, kept out of what others may read). */
export function workspaceAiEnv(
  workspace: { id: string; startRequestedAt: Date | null; createdAt: Date },
  state: AiGatewayState = aiGateway(),
): { env: Record<string, string>; secretEnv: Record<string, string> } {
  const base = baseUrl();
  if (!state.on || !base) return { env: {}, secretEnv: {} };
  const key = workspaceAiToken(workspace);
  return {
    // Anthropic's SDKs add /v1/messages themselves.
    env: { OPENAI_BASE_URL: `${base}/v1`, ANTHROPIC_BASE_URL: base },
    secretEnv: { OPENAI_API_KEY: key, ANTHROPIC_API_KEY: key },
  };
}
