import type { IncomingMessage, ServerResponse } from "node:http";
import type { CurrentUser } from "@/lib/auth/current-user";
import { can } from "@/lib/authz";
import { AppError } from "@/lib/errors";
import { localPath } from "@/lib/ide/handoff";
import { metrics } from "@/lib/observability/metrics";
import { isNavigation } from "@/lib/server/navigation";
import { RuntimeError } from "@/lib/runtime/types";
import { operateWorkspace } from "@/lib/workspaces/operate-workspace";
import type { PortWorkspace } from "./port-policy";
import { sendPortPage } from "./port-pages";

// Wake on request: a browser opening a port of a workspace that isn't
// running is told so on the port's own origin and, if its user may start
// the workspace, offered a button that does; while it comes up the page
// reloads itself until the app answers. Starting takes a click (a POST from
// this origin), never a bare GET: a link or an image elsewhere must not
// spend someone's quota.

export const WAKE_PATH = "/__podspace/start";

const REFRESH_SECONDS = 2;

/** For this long after a start, a port that doesn't answer is taken for one still on its way up. */
const WARMING_UP_MS = 2 * 60_000;

interface NotRunning {
  workspace: PortWorkspace;
  port: number;
  /** Who is asking, if signed in: the button is only for those who may start the workspace. */
  user: CurrentUser | null;
  /** Path and query the browser asked for, where it goes once the workspace runs. */
  path: string;
}

const mayOperate = (user: CurrentUser | null, workspace: PortWorkspace) => user !== null && can(user, "workspace:operate", { teamId: workspace.teamId, ownerId: workspace.ownerId });

/** Asked to run and not there yet (a restart stops on its way). */
const comingUp = (workspace: PortWorkspace) => workspace.desiredState === "RUNNING" && workspace.state !== "FAILED";

/** The answer for a port whose workspace isn't running, or isn't reachable yet. */
export function answerNotRunning(request: IncomingMessage, response: ServerResponse, { workspace, port, user, path }: NotRunning): void {
  const { name } = workspace;
  if (!isNavigation(request)) {
    // A script can't click a button: it hears why, and when to ask again if that is soon.
    response
      .writeHead(503, { "content-type": "application/json", "cache-control": "no-store", ...(comingUp(workspace) ? { "retry-after": String(REFRESH_SECONDS) } : {}) })
      .end(JSON.stringify({ error: `Workspace ${name} is not running${comingUp(workspace) ? " yet: it is starting" : ""}.` }));
    return;
  }
  if (comingUp(workspace)) {
    return sendPortPage(response, 503, `Starting ${name}…`, `Workspace ${name} is not running yet: it is starting. This page opens port ${port} once it is up.`, { refreshSeconds: REFRESH_SECONDS });
  }
  const wake = { action: `${WAKE_PATH}?${new URLSearchParams({ next: path })}` };
  if (workspace.state === "FAILED") {
    const why = `Workspace ${name} is not running: it failed${workspace.stateReason ? ` (${workspace.stateReason})` : ""}.`;
    if (!mayOperate(user, workspace)) return sendPortPage(response, 503, "Workspace failed", `${why} Ask its owner to look at it in Podspace.`);
    return sendPortPage(response, 503, "Workspace failed", `${why} Try starting it again:`, { form: { ...wake, label: `Retry ${name}` } });
  }
  if (!mayOperate(user, workspace)) return sendPortPage(response, 503, "Workspace not running", `Workspace ${name} is not running. Ask its owner to start it.`);
  return sendPortPage(response, 503, "Workspace not running", `Workspace ${name} is not running. Start it to open port ${port}; this page follows it until it is up.`, {
    form: { ...wake, label: `Start ${name}` },
  });
}

/**
 * A running workspace's port that didn't answer. Moments after a start that
 * is the workspace still on its way up (its relay, the app its startup
 * script starts): a browser's page reloads until it answers. Later it is
 * nothing listening, the user's to fix, or a fault of ours.
 */
export function answerUnreachable(request: IncomingMessage, response: ServerResponse, { workspace, port, error }: { workspace: PortWorkspace; port: number; error: Error }): void {
  const { name } = workspace;
  const notListening = error instanceof RuntimeError && error.code === "not-listening";
  if (!notListening) console.error(`podspace: port ${port} of workspace ${workspace.id} unreachable:`, error.message);
  const warmingUp = workspace.startedAt !== null && Date.now() - workspace.startedAt.getTime() < WARMING_UP_MS && isNavigation(request);
  if (warmingUp) {
    return sendPortPage(response, 502, "Not answering yet", `Port ${port} in ${name} is not answering yet: the workspace started moments ago. This page reloads until its app answers.`, {
      refreshSeconds: REFRESH_SECONDS,
    });
  }
  if (notListening) return sendPortPage(response, 502, "Nothing listening", `Nothing is listening on port ${port} in ${name}. Start your server, then reload.`);
  sendPortPage(response, 502, "Unreachable", `Port ${port} in ${name} could not be reached.`);
}

/** POST WAKE_PATH on the port's origin: starts (or retries) the workspace for a user who may, then back to where they were going. */
export async function wakeWorkspace(request: IncomingMessage, response: ServerResponse, options: { workspace: PortWorkspace; user: CurrentUser | null; origin: string }): Promise<void> {
  const { workspace, user, origin } = options;
  if (request.method !== "POST" || !mayOperate(user, workspace)) return sendPortPage(response, 404, "Not found", "There is nothing here, or it isn't yours to see.");
  // Only this origin's own page may ask: the cookie is SameSite=Lax, and a cross-site form must not start anything either way.
  if (request.headers.origin !== origin) return sendPortPage(response, 403, "Forbidden", "Start the workspace from its port's own page, or from Podspace.");
  const next = localPath.parse(new URL(request.url ?? "/", origin).searchParams.get("next"));
  try {
    await operateWorkspace(user!, { workspaceId: workspace.id, operation: workspace.state === "FAILED" ? "retry" : "start" });
  } catch (error) {
    // A quota refused, a workspace being deleted: the user's to read, nothing was started.
    if (error instanceof AppError) return sendPortPage(response, error.code === "not_found" ? 404 : 409, "Could not start", error.message);
    throw error;
  }
  metrics.portWakes.inc();
  response.writeHead(303, { location: next, "cache-control": "no-store" }).end();
}
