import { can, type Actor } from "@/lib/authz";
import { getDb } from "@/lib/db/client";
import type { Prisma, Workspace, WorkspaceEvent } from "@/lib/generated/prisma/client";
import type { DesiredState, EventLevel, WorkspaceState } from "@/lib/generated/prisma/enums";
import type { WorkspaceParameters } from "@/lib/templates/parameters";
import { templateSpec, type TemplateParameter, type TemplateSpec } from "@/lib/templates/spec";
import { grantsInForce } from "./access-grants";
import { workspaceNotFound } from "./operate-workspace";
import { toListItem, workspaceListInclude, type WorkspaceListItem } from "./list-workspaces";

// One workspace as its page shows it, and the stream of what happens to it.
// A workspace out of the actor's reach answers "not found", exactly like one
// that doesn't exist, so ids can't be probed.

/** A WorkspaceEvent as the browser gets it (JSON-safe: the time is an ISO string). */
export interface WorkspaceEventView {
  id: string;
  level: EventLevel;
  /** "state", or a progress step: volume, scheduling, image, ide, ready. */
  step: string;
  message: string;
  /** How long the step took. */
  durationMs: number | null;
  /** For "state" events: the move and, for failures, the reason. */
  data: { from?: string; to?: string; reason?: string } | null;
  createdAt: string;
}

/** The workspace's lifecycle fields, as the live view tracks them. */
export interface WorkspaceStateView {
  state: WorkspaceState;
  desiredState: DesiredState;
  stateReason: string | null;
  stateChangedAt: string;
  startedAt: string | null;
  updatedAt: string;
}

export interface WorkspaceParameterView {
  name: string;
  label: string;
  value: string | number | boolean;
}

/** What the settings dialog offers: its version's resource choices and parameters, and the current values. */
export interface WorkspaceSettings {
  resources: TemplateSpec["resources"];
  parameters: TemplateParameter[];
  current: WorkspaceParameters;
}

/** Someone's access grant in force, as the workspace page lists it for whoever looks after the workspace. */
export interface AccessGrantView {
  id: string;
  grantee: { name: string | null; email: string };
  reason: string;
  createdAt: Date;
  expiresAt: Date;
}

export interface WorkspaceDetail extends WorkspaceListItem {
  /** The template's custom parameters with the values this workspace was created with. */
  parameters: WorkspaceParameterView[];
  /** Null when its version's spec no longer parses (nothing to offer). */
  settings: WorkspaceSettings | null;
  /** The latest events, oldest first. */
  events: WorkspaceEventView[];
  /** Who else may open its terminal and IDE now, and why; whoever may operate it may end their access. */
  accessGrants: AccessGrantView[];
  /** Whether the actor, a platform admin without access, may give themself access (lib/workspaces/admin-access.ts). */
  canGetAdminAccess: boolean;
  /** Whether its create claimed it from the team's warm pool, and if not why not; null for workspaces older than warm pools. */
  warmPool: { claimed: boolean; message: string } | null;
}

/** How many events the page loads up front, the latest; the stream adds newer ones. */
export const EVENT_PAGE = 200;

const detailInclude = {
  ...workspaceListInclude,
  templateVersion: { select: { ...workspaceListInclude.templateVersion.select, spec: true } },
} satisfies Prisma.WorkspaceInclude;

function eventData(data: Prisma.JsonValue): WorkspaceEventView["data"] {
  if (data === null || typeof data !== "object" || Array.isArray(data)) return null;
  const text = (value: unknown) => (typeof value === "string" ? value : undefined);
  return { from: text(data.from), to: text(data.to), reason: text(data.reason) };
}

export function toEventView(event: WorkspaceEvent): WorkspaceEventView {
  return {
    id: event.id,
    level: event.level,
    step: event.step,
    message: event.message,
    durationMs: event.durationMs,
    data: eventData(event.data),
    createdAt: event.createdAt.toISOString(),
  };
}

type StateFields = Pick<Workspace, "state" | "desiredState" | "stateReason" | "stateChangedAt" | "startedAt" | "updatedAt">;

export function toStateView(workspace: StateFields): WorkspaceStateView {
  return {
    state: workspace.state,
    desiredState: workspace.desiredState,
    stateReason: workspace.stateReason,
    stateChangedAt: workspace.stateChangedAt.toISOString(),
    startedAt: workspace.startedAt?.toISOString() ?? null,
    updatedAt: workspace.updatedAt.toISOString(),
  };
}

const inReach = (actor: Actor, workspace: { teamId: string; ownerId: string; state: WorkspaceState } | null) =>
  workspace !== null && workspace.state !== "DELETED" && can(actor, "workspace:view", { teamId: workspace.teamId, ownerId: workspace.ownerId });

function parameterViews(spec: Prisma.JsonValue, parameters: Prisma.JsonValue): WorkspaceParameterView[] {
  const parsed = templateSpec.safeParse(spec);
  const record = parameters !== null && typeof parameters === "object" && !Array.isArray(parameters) ? parameters : {};
  const values = record.values !== null && typeof record.values === "object" && !Array.isArray(record.values) ? record.values : {};
  const definitions = parsed.success ? parsed.data.parameters : [];
  return Object.entries(values).flatMap(([name, value]) => {
    if (typeof value !== "string" && typeof value !== "number" && typeof value !== "boolean") return [];
    return [{ name, label: definitions.find((definition) => definition.name === name)?.label ?? name, value }];
  });
}

function settingsOf(spec: Prisma.JsonValue, parameters: Prisma.JsonValue): WorkspaceSettings | null {
  const parsed = templateSpec.safeParse(spec);
  if (!parsed.success) return null;
  return { resources: parsed.data.resources, parameters: parsed.data.parameters, current: parameters as unknown as WorkspaceParameters };
}

/** The workspace with its latest events; throws not_found when it doesn't exist, was deleted or is out of reach. */
export async function getWorkspaceForActor(actor: Actor, id: string): Promise<WorkspaceDetail> {
  const db = getDb();
  const row = await db.workspace.findUnique({
    where: { id },
    include: {
      ...detailInclude,
      accessGrants: {
        where: grantsInForce(),
        orderBy: { createdAt: "asc" },
        select: { id: true, userId: true, reason: true, createdAt: true, expiresAt: true, user: { select: { name: true, email: true } } },
      },
    },
  });
  if (!row || !inReach(actor, row)) throw workspaceNotFound();
  const item = toListItem(actor, row);
  const [events, poolEvent] = await Promise.all([
    db.workspaceEvent.findMany({
      where: { workspaceId: id },
      orderBy: [{ createdAt: "desc" }, { id: "desc" }],
      take: EVENT_PAGE,
    }),
    // Its create's word on the pool (create-workspace.ts), however many events came after.
    db.workspaceEvent.findFirst({ where: { workspaceId: id, step: "pool" }, orderBy: [{ createdAt: "asc" }, { id: "asc" }], select: { message: true } }),
  ]);
  return {
    ...item,
    parameters: parameterViews(row.templateVersion.spec, row.parameters),
    settings: settingsOf(row.templateVersion.spec, row.parameters),
    events: events.reverse().map(toEventView),
    accessGrants: row.accessGrants.map(({ id, user, reason, createdAt, expiresAt }) => ({ id, grantee: user, reason, createdAt, expiresAt })),
    canGetAdminAccess: !item.canConnect && can(actor, "workspace:get-admin-access"),
    warmPool: poolEvent ? { claimed: row.claimedAt !== null, message: poolEvent.message } : null,
  };
}

// ------------------------------------------------------------------ watching

export type WorkspaceUpdate =
  | { type: "state"; workspace: WorkspaceStateView }
  | { type: "event"; event: WorkspaceEventView }
  /** The workspace was deleted (or vanished); nothing more will come. */
  | { type: "gone" };

export interface WatchOptions {
  /** Stops the watch (the client went away). */
  signal: AbortSignal;
  /** Only events from about this time on; every event when omitted. */
  since?: Date;
  /** How often the database is asked; 500 ms by default. */
  intervalMs?: number;
}

/**
 * An event's createdAt is set when its transaction writes it, which may be a
 * while before the transaction commits; a later event can therefore become
 * visible before an earlier one. Each poll looks this far behind the newest
 * event seen and skips what it has sent already.
 */
const LOOKBACK_MS = 30_000;
const BATCH = 500;

const stateSelect = { state: true, desiredState: true, stateReason: true, stateChangedAt: true, startedAt: true, updatedAt: true } as const;

function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener("abort", done, { once: true });
  });
}

/**
 * What happens to a workspace, as it happens: its state first, then every
 * new WorkspaceEvent and every change of state, by polling the database.
 * Checks access once, at the start (throws not_found like
 * getWorkspaceForActor); ends when the signal aborts or the workspace is deleted.
 */
export async function* watchWorkspace(actor: Actor, id: string, options: WatchOptions): AsyncGenerator<WorkspaceUpdate, void, undefined> {
  const db = getDb();
  const { signal, intervalMs = 500 } = options;
  const first = await db.workspace.findUnique({ where: { id }, select: { ...stateSelect, teamId: true, ownerId: true } });
  if (!first || !inReach(actor, first)) throw workspaceNotFound();

  const stateKey = (workspace: StateFields) =>
    [workspace.state, workspace.desiredState, workspace.stateReason, workspace.stateChangedAt.getTime(), workspace.startedAt?.getTime(), workspace.updatedAt.getTime()].join("|");
  let lastState = stateKey(first);
  yield { type: "state", workspace: toStateView(first) };

  let watermark = options.since?.getTime() ?? 0;
  /** Sent event ids → their createdAt, for the ones a poll can return again. */
  const sent = new Map<string, number>();

  while (!signal.aborted) {
    const events = await db.workspaceEvent.findMany({
      where: {
        workspaceId: id,
        createdAt: { gte: new Date(Math.max(0, watermark - LOOKBACK_MS)) },
        ...(sent.size > 0 ? { id: { notIn: [...sent.keys()] } } : {}),
      },
      orderBy: [{ createdAt: "asc" }, { id: "asc" }],
      take: BATCH,
    });
    for (const event of events) {
      const at = event.createdAt.getTime();
      sent.set(event.id, at);
      watermark = Math.max(watermark, at);
      yield { type: "event", event: toEventView(event) };
    }
    for (const [eventId, at] of sent) if (at < watermark - LOOKBACK_MS) sent.delete(eventId);

    const current = await db.workspace.findUnique({ where: { id }, select: stateSelect });
    if (!current) {
      yield { type: "gone" };
      return;
    }
    const key = stateKey(current);
    if (key !== lastState) {
      lastState = key;
      yield { type: "state", workspace: toStateView(current) };
    }
    if (current.state === "DELETED") {
      yield { type: "gone" };
      return;
    }
    // A full batch means more are waiting: fetch them without pausing.
    if (events.length < BATCH) await pause(intervalMs, signal);
  }
}
