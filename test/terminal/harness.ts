import http from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { WebSocket } from "ws";
import { getDb } from "@/lib/db/client";
import { env } from "@/lib/env";
import type { User } from "@/lib/generated/prisma/client";
import type { IdeHost } from "@/lib/ide/ide-host";
import { createIdeProxy, type IdeProxy } from "@/lib/ide/proxy";
import { createPortProxy, type PortProxy } from "@/lib/ports/port-proxy";
import { previewHost as configuredPreviewHost, type PreviewHost } from "@/lib/ports/preview-host";

/** The app's preview host: the tests' environment leaves preview URLs on. */
function testPreviewHost(): PreviewHost {
  const host = configuredPreviewHost();
  if (!host) throw new Error("the tests' environment turned preview URLs off (PODSPACE_PREVIEW_HOST=off)");
  return host;
}
import { createLocalRuntime } from "@/lib/runtime/local/local-runtime";
import type { WorkspaceRuntime } from "@/lib/runtime/types";
import { createGateway, podspaceRoutes } from "@/lib/server/gateway";
import type { WebSocketRouter } from "@/lib/server/websocket-router";
import type { TemplateSpec } from "@/lib/templates/spec";
import { createTerminalService, type TerminalRouteOptions, type TerminalService } from "@/lib/terminal/route";
import type { ServerMessage } from "@/lib/terminal/protocol";
import { toRuntimeSpec, runtimeSpecInclude } from "@/lib/workspaces/runtime-spec";
import { createTeamWith, createUser } from "../helpers/identity";
import { endLocalWorkspaces } from "../helpers/local-workspaces";
import { TEST_TEMPLATE } from "../helpers/test-template";
import { TEST_SHARED_PATHS, waitForIdeAnswer, waitForState } from "../runtime/contract";

// A real HTTP server wired like server.ts (its route table, with the terminal
// and the IDE proxy, and a 404 for Next.js), real
// local-runtime workspaces, and users with real database sessions.

export const IDE_WS_SERVER = path.resolve(import.meta.dirname, "../fixtures/ide-ws-server.mjs");
export const ORIGIN = new URL(env.PODSPACE_URL).origin;

export interface Harness {
  base: string;
  wsBase: string;
  runtime: WorkspaceRuntime;
  dataDir: string;
  terminals: TerminalService;
  ide: IdeProxy;
  ports: PortProxy;
  router: WebSocketRouter;
  close(): Promise<void>;
}

export async function startHarness(
  options: Omit<TerminalRouteOptions, "runtime"> & {
    ideHost?: IdeHost;
    previewHost?: PreviewHost;
    /** Where the runtime keeps homes and process records; default the app's data dir. */
    dataDir?: string;
    /** Opens the terminals' shells instead of the runtime (bench/terminal.ts: a shell outside the sandbox, to measure the sandbox's cost). */
    openShell?: WorkspaceRuntime["attachTerminal"];
  } = {},
): Promise<Harness> {
  // By default the app's own data dir (a fresh one per test file, see test/helpers/isolated-env.ts),
  // as getRuntime() would use: the IDE proxy derives local homes from it.
  const { ideHost = null, previewHost, openShell, dataDir = env.PODSPACE_DATA_DIR, ...terminalOptions } = options;
  const runtime = createLocalRuntime({ dataDir, cacheDir: path.join(dataDir, "cache"), sharedPaths: TEST_SHARED_PATHS });
  const ide = createIdeProxy({ runtime, revalidateIntervalMs: options.revalidateIntervalMs, ideHost });
  const ports = createPortProxy({ runtime, revalidateIntervalMs: options.revalidateIntervalMs, previewHost: previewHost ?? testPreviewHost() });
  const terminals = createTerminalService({ runtime: openShell ? { ...runtime, attachTerminal: openShell } : runtime, ...terminalOptions });
  const gateway = createGateway(
    podspaceRoutes({ ide, ports, terminal: terminals.route, apiExec: async () => null, apiTerminal: async () => null, apiPortForward: async () => null, identityProvider: null, next: { handle: (_request, response) => response.writeHead(404).end("not podspace") } }),
  );
  const router = gateway.sockets;
  const server = http.createServer(gateway.handleRequest);
  server.on("upgrade", router.handleUpgrade);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    base: `http://127.0.0.1:${port}`,
    wsBase: `ws://127.0.0.1:${port}`,
    runtime,
    dataDir,
    terminals,
    ide,
    ports,
    router,
    async close() {
      terminals.close();
      router.terminateAll();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      await runtime.close();
      // Workspaces' processes end with their test file; their homes stay with the temp dir.
      await endLocalWorkspaces(dataDir);
    },
  };
}

const TEMPLATE: TemplateSpec = {
  ...TEST_TEMPLATE,
  slug: "terminal-test",
  name: "Terminal test",
  ide: { command: [process.execPath, IDE_WS_SERVER, "{host}", "{port}"], port: 13337, healthPath: "/healthz" },
};

export interface People {
  owner: User;
  stranger: User;
  /** Admin of the owner's team: may operate its workspaces, but not open a shell in them. */
  teamAdmin: User;
  /** May operate every workspace, but opens a shell in one only with an access grant. */
  platformAdmin: User;
  teamId: string;
  templateVersionId: string;
}

export async function createPeople(suffix: string): Promise<People> {
  const owner = await createUser(`owner-${suffix}@terminal.test`);
  const stranger = await createUser(`stranger-${suffix}@terminal.test`);
  const teamAdmin = await createUser(`admin-${suffix}@terminal.test`);
  const platformAdmin = await createUser(`root-${suffix}@terminal.test`, { isPlatformAdmin: true });
  const team = await createTeamWith(`t-${suffix}`, [
    [owner, "MEMBER"],
    [teamAdmin, "ADMIN"],
  ]);
  await createTeamWith(`s-${suffix}`, [[stranger, "OWNER"]]);
  const template = await getDb().template.create({
    data: { slug: `tpl-${suffix}`, name: "Test", versions: { create: { version: 1, spec: TEMPLATE as object } } },
    include: { versions: true },
  });
  return { owner, stranger, teamAdmin, platformAdmin, teamId: team.id, templateVersionId: template.versions[0]!.id };
}

// Sessions as the terminal and IDE tests call them: a database session for a user, and its cookie.
export { createSession as signIn, sessionCookie as cookieFor } from "../helpers/identity";

/** Creates a workspace owned by `people.owner` and starts it on the runtime; its row says RUNNING. */
export async function runningWorkspace(harness: Harness, people: People, name: string) {
  const db = getDb();
  const created = await db.workspace.create({
    data: {
      name,
      ownerId: people.owner.id,
      teamId: people.teamId,
      templateVersionId: people.templateVersionId,
      parameters: { cpu: 1, memoryGiB: 1, diskGiB: 1, values: {} },
    },
  });
  const workspace = await db.workspace.findUniqueOrThrow({ where: { id: created.id }, include: runtimeSpecInclude });
  const spec = toRuntimeSpec(workspace);
  await harness.runtime.provision(spec);
  await harness.runtime.start(spec);
  await waitForState(harness.runtime, spec, "running", 30_000);
  await waitForIdeAnswer(harness.runtime, spec);
  await db.workspace.update({ where: { id: created.id }, data: { state: "RUNNING" } });
  return { id: created.id, spec };
}

/** A terminal WebSocket client that collects output (escape sequences removed) and control messages. */
export class TerminalClient {
  readonly socket: WebSocket;
  readonly controls: ServerMessage[] = [];
  /** Output with escape sequences removed; only the tail is kept so `yes` can't fill memory. */
  output = "";
  received = 0;
  readonly closed: Promise<{ code: number; reason: string }>;
  readonly opened: Promise<void>;
  #waiters: (() => void)[] = [];

  constructor(url: string, options: { cookie?: string; origin?: string; keepTail?: number } = {}) {
    const keepTail = options.keepTail ?? 1024 * 1024;
    this.socket = new WebSocket(url, {
      headers: { ...(options.cookie ? { cookie: options.cookie } : {}) },
      origin: options.origin ?? ORIGIN,
    });
    this.opened = new Promise((resolve, reject) => {
      this.socket.once("open", () => resolve());
      this.socket.once("unexpected-response", (_request, response) => reject(new Error(`refused with ${response.statusCode}`)));
      this.socket.once("error", reject);
    });
    this.closed = new Promise((resolve) => this.socket.once("close", (code, reason) => resolve({ code, reason: String(reason) })));
    this.socket.on("message", (data, isBinary) => {
      const buffer = data as Buffer;
      if (isBinary) {
        this.received += buffer.length;
        this.output = (this.output + buffer.toString("utf8").replace(/\x1b\[[0-9;?]*[A-Za-z]|\x1b\][^\x07]*\x07/g, "")).slice(-keepTail);
      } else {
        this.controls.push(JSON.parse(buffer.toString("utf8")) as ServerMessage);
      }
      for (const wake of this.#waiters.splice(0)) wake();
    });
    this.socket.on("close", () => {
      for (const wake of this.#waiters.splice(0)) wake();
    });
  }

  /** Resolves once `check` holds (checked after every message), or rejects after `timeoutMs`. */
  async until(check: () => boolean, what: string, timeoutMs = 15_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!check()) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for ${what}; output tail:\n${this.output.slice(-2000)}\ncontrols: ${JSON.stringify(this.controls)}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(left, 200));
        this.#waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  ready() {
    return this.until(() => this.controls.some((message) => message.type === "ready"), "ready").then(
      () => this.controls.find((message) => message.type === "ready") as Extract<ServerMessage, { type: "ready" }>,
    );
  }

  /** Types (as a binary frame, like the browser). */
  type(text: string) {
    this.socket.send(Buffer.from(text), { binary: true });
  }

  control(message: unknown) {
    this.socket.send(typeof message === "string" ? message : JSON.stringify(message));
  }

  /** Types a command and waits for `line` as a whole line of output. */
  async run(command: string, line: string, timeoutMs?: number) {
    this.type(`${command}\r`);
    await this.sees(line, timeoutMs);
  }

  sees(line: string, timeoutMs?: number) {
    const pattern = new RegExp(`(^|\\n)\\r*${line}\\r?\\n`);
    return this.until(() => pattern.test(this.output), `the line ${JSON.stringify(line)}`, timeoutMs);
  }

  close() {
    this.socket.close();
    return this.closed;
  }
}
