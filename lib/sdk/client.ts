import { Readable, type Duplex } from "node:stream";
import type { ReadableStream as NodeReadableStream } from "node:stream/web";
import type { WebSocket } from "ws";
import { ONE_TEAM } from "../api/v1/team-path";
import { PodspaceApiError, WorkspaceNotReadyError } from "./errors";
import { execOverSocket, type ExecOptions } from "./exec";
import { forwardStream } from "./port-forward";
import { openApiSocket } from "./socket";
import { lines, serverSentEvents } from "./streams";
import { attachTerminal, terminalQuery, type Terminal, type TerminalOptions } from "./terminal";
import type {
  ApiErrorBody,
  ChangeSettingsInput,
  CreatedToken,
  CreateTokenInput,
  CreateWorkspaceInput,
  ExecExit,
  ListWorkspacesQuery,
  ReadinessOutcome,
  ReadinessProgress,
  SettingsChange,
  TeamQuota,
  Template,
  Token,
  UsageQuery,
  UsageReport,
  Workspace,
  WorkspacePage,
  WorkspaceUpdate,
} from "./types";

// A typed client of /api/v1 for scripts, CI and the podspace CLI: one method
// per operation, errors as PodspaceApiError, the two streams (a new
// workspace's progress, a workspace's events) as callbacks and async
// iterators, and the WebSockets (a terminal, a forwarded port) as objects of
// their own. It needs only fetch and ws, so it runs in any Node process.

export interface PodspaceClientOptions {
  /** Podspace's URL, e.g. https://podspace.example.com (without /api/v1). */
  url: string;
  /** An API token, made on the Tokens page or with tokens.create. */
  token: string;
}

export type WorkspaceOperation = "start" | "stop" | "restart" | "update" | "retry";

export interface CreateWorkspaceOptions {
  /** A retried create with the same key gets the same workspace, not a second one. */
  idempotencyKey?: string;
  /** Resolve only once the workspace runs (rejecting with WorkspaceNotReadyError if it fails instead). */
  waitUntilReady?: boolean;
  /** Called with each line of progress while waiting until ready. */
  onProgress?: (progress: ReadinessProgress) => void;
  signal?: AbortSignal;
}

export interface EventsOptions {
  /** Ends the iteration (and the request). */
  signal?: AbortSignal;
  /** Only events from about this time on. */
  since?: Date;
}

interface RequestOptions {
  body?: unknown;
  /** A tar archive as the body, in place of JSON. */
  tar?: Readable | Uint8Array;
  query?: Record<string, string | undefined>;
  headers?: Record<string, string>;
  signal?: AbortSignal;
}

const teamPath = (team: string | undefined) => `/teams/${encodeURIComponent(team ?? ONE_TEAM)}`;

/** How long to wait before following /events again after the server ended the stream, unless it says (retry:). */
const RECONNECT_MS = 2_000;

export class PodspaceClient {
  private readonly base: string;
  private readonly token: string;

  constructor(options: PodspaceClientOptions) {
    this.base = `${options.url.replace(/\/+$/, "")}/api/v1`;
    this.token = options.token;
  }

  readonly templates = {
    list: async (query: { q?: string; tag?: string } = {}): Promise<Template[]> =>
      (await this.json<{ templates: Template[] }>("GET", "/templates", { query })).templates,
  };

  readonly workspaces = {
    /** One page, newest first; pass its nextCursor as cursor for the next. */
    list: (query: ListWorkspacesQuery = {}): Promise<WorkspacePage> => this.json("GET", "/workspaces", { query: { ...query } }),
    /** Every page, one workspace at a time. */
    all: (query: Omit<ListWorkspacesQuery, "cursor"> = {}): AsyncGenerator<Workspace, void, undefined> => this.allWorkspaces(query),
    get: (id: string): Promise<Workspace> => this.json("GET", `/workspaces/${encodeURIComponent(id)}`),
    create: (input: CreateWorkspaceInput, options: CreateWorkspaceOptions = {}): Promise<Workspace> => this.createWorkspace(input, options),
    start: (id: string) => this.operate(id, "start"),
    stop: (id: string) => this.operate(id, "stop"),
    restart: (id: string) => this.operate(id, "restart"),
    update: (id: string) => this.operate(id, "update"),
    retry: (id: string) => this.operate(id, "retry"),
    /** Resources and parameters; a running workspace restarts to apply them. */
    changeSettings: (id: string, input: ChangeSettingsInput): Promise<SettingsChange> =>
      this.json("PATCH", `/workspaces/${encodeURIComponent(id)}`, { body: input }),
    /**
     * Deletes it and its home volume; the deletion goes on after the answer.
     * `skipFinalBackup`: for one being deleted whose final backup failed, go on without it (its home is gone for good).
     */
    delete: (id: string, { skipFinalBackup = false }: { skipFinalBackup?: boolean } = {}): Promise<Workspace> =>
      this.json("DELETE", `/workspaces/${encodeURIComponent(id)}`, { query: { finalBackup: skipFinalBackup ? "skip" : undefined } }),
    /** Its state, then each event and change as it happens, until the signal aborts or the workspace is gone. */
    events: (id: string, options: EventsOptions = {}): AsyncGenerator<WorkspaceUpdate, void, undefined> => this.followEvents(id, options),
    /** Runs a command in the running workspace, its output to the callbacks as it comes; resolves when it ends. */
    exec: async (id: string, command: string[], options: ExecOptions = {}): Promise<ExecExit> =>
      execOverSocket(await this.socket(`/workspaces/${encodeURIComponent(id)}/exec`, {}, options.signal), command, options),
    /** A file or directory of the running workspace as a tar stream: a directory's contents, or the file under its name. */
    download: async (id: string, path: string, { signal }: { signal?: AbortSignal } = {}): Promise<Readable> => {
      const response = await this.request("GET", `/workspaces/${encodeURIComponent(id)}/files`, { query: { path }, signal });
      return Readable.fromWeb(response.body as NodeReadableStream<Uint8Array>);
    },
    /** Unpacks a tar archive into the directory `dir` of the running workspace, made if missing. */
    upload: async (id: string, dir: string, tar: Readable | Uint8Array, { signal }: { signal?: AbortSignal } = {}): Promise<void> => {
      await this.request("PUT", `/workspaces/${encodeURIComponent(id)}/files`, { query: { path: dir }, tar, signal });
    },
    /** A shell in the running workspace (the exec scope): its owner's terminal session, as in the browser. Resolves once it is attached. */
    terminal: async (id: string, options: TerminalOptions = {}): Promise<Terminal> =>
      attachTerminal(await this.socket(`/workspaces/${encodeURIComponent(id)}/terminal`, terminalQuery(options), options.signal, true)),
    /** One connection to `port` in the running workspace (the exec scope); rejects with a PodspaceApiError (409) when nothing listens there. */
    forwardPort: async (id: string, port: number, options: { signal?: AbortSignal } = {}): Promise<Duplex> =>
      forwardStream(await this.socket(`/workspaces/${encodeURIComponent(id)}/ports/${port}/forward`, {}, options.signal, true)),
  };

  readonly teams = {
    /** The team's limits, what it uses against each, and its monthly CPU budget; without a slug, the one team the token reaches. */
    quota: (team?: string): Promise<TeamQuota> => this.json("GET", `${teamPath(team)}/quota`),
    /** The team's usage over a period (default this month), by user or template; without a slug, the one team the token reaches. */
    usage: (team?: string, query: UsageQuery = {}): Promise<UsageReport> => this.json("GET", `${teamPath(team)}/usage`, { query: { ...query } }),
  };

  readonly tokens = {
    list: async (): Promise<Token[]> => (await this.json<{ tokens: Token[] }>("GET", "/tokens")).tokens,
    /** A new token; its secret (`token`) is in this answer only. */
    create: (input: CreateTokenInput): Promise<CreatedToken> => this.json("POST", "/tokens", { body: input }),
    revoke: async (id: string): Promise<void> => {
      await this.request("DELETE", `/tokens/${encodeURIComponent(id)}`);
    },
  };

  private operate(id: string, operation: WorkspaceOperation): Promise<Workspace> {
    return this.json("POST", `/workspaces/${encodeURIComponent(id)}/${operation}`);
  }

  private async *allWorkspaces(query: Omit<ListWorkspacesQuery, "cursor">): AsyncGenerator<Workspace, void, undefined> {
    let cursor: string | undefined;
    do {
      const page = await this.workspaces.list({ ...query, cursor });
      yield* page.workspaces;
      cursor = page.nextCursor ?? undefined;
    } while (cursor !== undefined);
  }

  private async createWorkspace(input: CreateWorkspaceInput, options: CreateWorkspaceOptions): Promise<Workspace> {
    const headers: Record<string, string> = options.idempotencyKey === undefined ? {} : { "Idempotency-Key": options.idempotencyKey };
    if (!options.waitUntilReady) return this.json("POST", "/workspaces", { body: input, headers, signal: options.signal });

    const response = await this.request("POST", "/workspaces", { body: input, headers, query: { wait: "ready" }, signal: options.signal });
    let outcome: ReadinessOutcome | undefined;
    for await (const line of lines(response.body!)) {
      if (line.trim() === "") continue;
      const parsed = JSON.parse(line) as ReadinessProgress | ReadinessOutcome;
      if (parsed.type === "state" || parsed.type === "event") options.onProgress?.(parsed);
      else outcome = parsed;
    }
    if (outcome?.type === "ready") return this.workspaces.get(outcome.id);
    throw new WorkspaceNotReadyError(
      outcome?.type === "failed" ? outcome.id : undefined,
      outcome ?? { type: "error", message: "The server ended the progress stream before the workspace was ready." },
    );
  }

  /** Follows the SSE stream as a browser's EventSource would: when the server ends it (it does every few minutes), it reconnects from the last event seen. */
  private async *followEvents(id: string, { signal, since }: EventsOptions): AsyncGenerator<WorkspaceUpdate, void, undefined> {
    let lastEventId: string | undefined;
    while (!signal?.aborted) {
      const headers: Record<string, string> = { Accept: "text/event-stream", ...(lastEventId === undefined ? {} : { "Last-Event-ID": lastEventId }) };
      let response: Response;
      try {
        response = await this.request("GET", `/workspaces/${encodeURIComponent(id)}/events`, { headers, signal, query: { since: since?.toISOString() } });
      } catch (error) {
        if (signal?.aborted) return;
        throw error;
      }
      try {
        for await (const message of serverSentEvents(response.body!)) {
          if (message.id !== undefined) lastEventId = message.id;
          if (message.event === "gone") {
            yield { type: "gone" };
            return;
          }
          if (message.event === "state") yield { type: "state", workspace: JSON.parse(message.data) };
          else if (message.event === "workspace-event") yield { type: "event", event: JSON.parse(message.data) };
        }
      } catch (error) {
        if (signal?.aborted) return;
        throw error;
      }
      await pause(RECONNECT_MS, signal);
    }
  }

  /** One of the API's WebSockets at `path` (under /api/v1), open; `held`: paused, see openApiSocket. */
  private socket(path: string, query: Record<string, string> = {}, signal?: AbortSignal, held = false): Promise<WebSocket> {
    const url = new URL(`${this.base}${path}`);
    for (const [name, value] of Object.entries(query)) url.searchParams.set(name, value);
    return openApiSocket(url, this.token, signal, held);
  }

  private async json<T>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
    return (await (await this.request(method, path, options)).json()) as T;
  }

  /** The answer to one request; any status but 2xx is thrown as a PodspaceApiError. */
  private async request(method: string, path: string, { body, tar, query = {}, headers = {}, signal }: RequestOptions = {}): Promise<Response> {
    const url = new URL(`${this.base}${path}`);
    for (const [name, value] of Object.entries(query)) if (value !== undefined) url.searchParams.set(name, value);
    const contentType = tar !== undefined ? "application/x-tar" : body !== undefined ? "application/json" : undefined;
    const response = await fetch(url, {
      method,
      headers: { Authorization: `Bearer ${this.token}`, ...(contentType ? { "Content-Type": contentType } : {}), ...headers },
      body: tar !== undefined ? tarBody(tar) : body === undefined ? undefined : JSON.stringify(body),
      // A streamed body is sent as it is read (fetch's "half duplex": the answer comes after it).
      ...(tar instanceof Readable ? { duplex: "half" } : {}),
      signal,
    });
    if (!response.ok) throw await apiError(response);
    return response;
  }
}

const tarBody = (tar: Readable | Uint8Array): BodyInit => (tar instanceof Readable ? (Readable.toWeb(tar) as ReadableStream<Uint8Array>) : new Uint8Array(tar));

async function apiError(response: Response): Promise<PodspaceApiError> {
  const text = await response.text();
  try {
    const { error } = JSON.parse(text) as ApiErrorBody;
    return new PodspaceApiError(response.status, error.code, error.message, error.field, error.fields);
  } catch {
    // Not the API's JSON: a proxy's page, or no Podspace at that URL.
    const code = response.status === 401 ? "unauthenticated" : response.status === 404 ? "not_found" : "internal";
    return new PodspaceApiError(response.status, code, `${response.status} ${response.statusText} from ${response.url} (not a Podspace API answer).`);
  }
}

function pause(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener("abort", done, { once: true });
  });
}
