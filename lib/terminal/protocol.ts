import { z } from "zod";

// The terminal WebSocket's protocol, shared by the server, the browser and
// the SDK (lib/sdk/terminal.ts, for `podspace ssh`): binary frames carry
// terminal bytes both ways; text frames carry the JSON control messages
// below.
//
//   GET /api/workspaces/<id>/terminal?session=<session id>[&cols=<n>&rows=<n>]    (the browser: its session cookie)
//   GET /api/v1/workspaces/<id>/terminal?…                                      (the API: a token with the exec scope)

/** Client-chosen session ids (e.g. one per browser tab): short, URL-safe. */
export const SESSION_ID = /^[A-Za-z0-9_-]{1,64}$/;

const dimension = z.number().int().min(1).max(1000);

/** What the browser may send as text. Anything else is ignored. */
export const clientMessage = z.discriminatedUnion("type", [
  z.object({ type: z.literal("resize"), cols: dimension, rows: dimension }),
  /** The browser's own backlog (xterm.js parsing) is too long: stop sending output for a moment. */
  z.object({ type: z.literal("pause") }),
  z.object({ type: z.literal("resume") }),
  /** End the session and its shell, e.g. when its tab is closed. */
  z.object({ type: z.literal("close") }),
]);
export type ClientMessage = z.infer<typeof clientMessage>;

export type ServerMessage =
  /** Sent first. `replayed` is how many bytes of scrollback follow (0 for a new session). */
  | { type: "ready"; session: string; replayed: number }
  | { type: "exit"; code: number | null };

/** Parses a text frame from the browser; null for anything that isn't a valid control message. */
export function parseClientMessage(text: string): ClientMessage | null {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return null;
  }
  const parsed = clientMessage.safeParse(json);
  return parsed.success ? parsed.data : null;
}

export const CLOSE = {
  /** The shell exited; an `exit` message came first. */
  exited: 1000,
  /** The session or user is gone, or the API token revoked (see lib/auth/websocket-auth.ts). */
  signedOut: 4401,
  /** The user is signed in but may no longer use the workspace (removed from its team, a role or access grant taken away). */
  accessLost: 4403,
  /** The workspace isn't running, or stopped while the terminal was open. */
  notRunning: 4409,
  /** The socket didn't read its output for too long while others waited. */
  tooSlow: 4408,
  /** Too many terminals open on one workspace. */
  tooMany: 4429,
  /** The session was ended by a `close` message. */
  closed: 4000,
  unavailable: 1011,
} as const;

export const NOT_RUNNING_REASON = "workspace is not running";
