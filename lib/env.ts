import { randomBytes } from "node:crypto";
import fs from "node:fs";
import { isIP } from "node:net";
import path from "node:path";
import { z } from "zod";
import { SHARE_LEVELS } from "@/lib/ports/share-level";

// The one place that reads process.env. Every variable is validated here so a
// misconfiguration stops the process at startup with a message naming it,
// instead of surfacing later as a confusing runtime error.

const postgresUrl = z
  .url({ protocol: /^postgres(ql)?$/, error: "expected a postgresql://user:password@host:port/database URL" })
  .optional();

const port = z.coerce
  .number({ error: "expected an integer from 1 to 65535" })
  .int({ error: "expected an integer from 1 to 65535" })
  .min(1, { error: "expected an integer from 1 to 65535" })
  .max(65535, { error: "expected an integer from 1 to 65535" });

const days = z.coerce
  .number({ error: "expected a whole number of days" })
  .int({ error: "expected a whole number of days" })
  .min(1, { error: "expected a whole number of days, at least 1" });

const connections = z.coerce
  .number({ error: "expected a whole number of connections, at least 1" })
  .int({ error: "expected a whole number of connections, at least 1" })
  .min(1, { error: "expected a whole number of connections, at least 1" });

const jsonArray = <T extends z.ZodType>(item: T, example: string) =>
  z
    .string()
    .transform((text, ctx) => {
      try {
        return JSON.parse(text) as unknown;
      } catch {
        ctx.addIssue({ code: "custom", message: `expected JSON like ${example}` });
        return z.NEVER;
      }
    })
    .pipe(z.array(item, { error: `expected a JSON array like ${example}` }));

const commaList = z
  .string()
  .default("")
  .transform((list) =>
    list
      .split(",")
      .map((item) => item.trim())
      .filter(Boolean),
  );

const oidcProvider = z.object({
  id: z.string().regex(/^[a-z0-9-]+$/, { error: "id must be lowercase letters, digits and dashes" }),
  name: z.string().min(1),
  issuer: z.url(),
  clientId: z.string().min(1),
  clientSecret: z.string().min(1),
  scopes: z.string().default("openid email profile"),
});

const groupMapping = z.object({
  group: z.string().min(1),
  team: z.string().regex(/^[a-z0-9][a-z0-9-]{0,39}$/, { error: "team must be a team slug" }),
  role: z.enum(["OWNER", "ADMIN", "MEMBER"]).default("MEMBER"),
});

/** A wildcard host such as *.ide.example.com, lowercased; `alternative` is one more word it may be instead. */
const wildcardHost = (example: string, alternative?: string) =>
  z
    .string()
    .transform((host) => host.toLowerCase())
    .pipe(
      z.string().regex(new RegExp(`^(${alternative ? `${alternative}|` : ""}\\*(\\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)+)$`), {
        error: `expected a wildcard host such as ${example}${alternative ? `, or ${alternative}` : ""}`,
      }),
    );

const regex = z.string().refine(
  (source) => {
    try {
      new RegExp(source);
      return true;
    } catch {
      return false;
    }
  },
  { error: "expected a regular expression" },
);

export const envSchema = z.object({
  NODE_ENV: z
    .enum(["development", "production", "test"], { error: "expected development, production or test" })
    .default("development"),
  /** Port the HTTP server listens on. */
  PORT: port.default(3000),
  /** Interface to bind; unset means every interface, like `next start`. */
  HOST: z.string().min(1).optional(),
  /** PostgreSQL connection string. When unset, an embedded PGlite database is used. */
  DATABASE_URL: postgresUrl,
  /** PostgreSQL: connections per replica for pages, server actions and routes. */
  PODSPACE_DB_POOL_SIZE: connections.default(10),
  /**
   * PostgreSQL: connections per replica for background work (reconcile, lifecycle and usage loops, metrics that scan
   * the database), a pool of its own so that pages never queue behind it. The reconciler works on this many workspaces at once.
   */
  PODSPACE_DB_BACKGROUND_POOL_SIZE: connections.default(5),
  /** Where embedded state lives: the PGlite database and, later, local workspaces. */
  PODSPACE_DATA_DIR: z.string().min(1).default(".data"),
  /** The URL users reach Podspace at; OIDC callbacks are built from it. Default http://podspace.localhost:$PORT. */
  PODSPACE_URL: z.url({ protocol: /^https?$/, error: "expected an http(s):// URL" }).optional(),
  /** Encrypts sign-in cookies. Required in production; generated per process otherwise. */
  AUTH_SECRET: z.string().min(32, { error: "expected at least 32 characters (openssl rand -base64 32)" }).optional(),
  /** Company identity providers. */
  PODSPACE_OIDC_PROVIDERS: jsonArray(
    oidcProvider,
    '[{"id":"corp","name":"Corp SSO","issuer":"https://sso.example.com","clientId":"…","clientSecret":"…"}]',
  ).default([]),
  /** The bundled demo identity provider: on by default only when no provider is configured. */
  PODSPACE_DEMO_IDP: z.enum(["auto", "true", "false"], { error: "expected auto, true or false" }).default("auto"),
  /** Emails that become platform admins at sign-in (comma-separated). */
  PODSPACE_ADMIN_EMAILS: commaList.transform((emails) => emails.map((email) => email.toLowerCase())),
  /** The ID-token claim that lists the user's IdP groups. */
  PODSPACE_GROUPS_CLAIM: z.string().min(1).default("groups"),
  /** Only groups matching this are synced. */
  PODSPACE_GROUPS_FILTER: regex.default(".*"),
  /** IdP group → team membership and role. */
  PODSPACE_GROUP_MAPPING: jsonArray(groupMapping, '[{"group":"eng-ml","team":"ml","role":"MEMBER"}]').default([]),
  /** Where workspaces run: processes on this host, or pods in a Kubernetes cluster. */
  PODSPACE_RUNTIME: z.enum(["local", "kubernetes"], { error: "expected local or kubernetes" }).default("local"),
  /** Downloads reused across restarts (code-server for the local runtime). Default ~/.cache/podspace. */
  PODSPACE_CACHE_DIR: z.string().min(1).optional(),
  /** Host paths every local workspace sees read-only at the same path (a shared toolchain), colon-separated. */
  PODSPACE_LOCAL_SHARED_PATHS: z
    .string()
    .default("")
    .transform((value) => value.split(":").filter(Boolean))
    .refine((paths) => paths.every((shared) => shared.startsWith("/")), "expected absolute paths separated by colons"),
  /** Kubernetes: a kubeconfig file; unset uses the in-cluster service account. */
  KUBECONFIG: z.string().min(1).optional(),
  /** Set by Kubernetes in every pod; tells Podspace it runs in a cluster. */
  KUBERNETES_SERVICE_HOST: z.string().min(1).optional(),
  /** Kubernetes: team namespaces are <prefix><team slug>. */
  PODSPACE_K8S_NAMESPACE_PREFIX: z
    .string()
    .regex(/^[a-z0-9]([a-z0-9-]{0,20}[a-z0-9-])?$/, { error: "expected lowercase letters, digits and dashes (at most 22)" })
    .default("podspace-"),
  /** Kubernetes: storage class of workspace home volumes; unset uses the cluster default. */
  PODSPACE_K8S_STORAGE_CLASS: z.string().min(1).optional(),
  /** Kubernetes: private CIDRs workspaces may still reach (comma-separated), e.g. a package mirror. */
  PODSPACE_K8S_EGRESS_ALLOW: commaList.pipe(z.array(z.cidrv4({ error: "expected comma-separated IPv4 CIDRs like 10.20.0.0/16" }))),
  /** How long a terminal's shell outlives its last disconnected browser, in seconds. */
  PODSPACE_TERMINAL_KEEPALIVE_SECONDS: z.coerce
    .number({ error: "expected a number of seconds" })
    .int({ error: "expected a number of seconds" })
    .min(0, { error: "expected a number of seconds" })
    .default(300),
  /** A workspace stopped this many days is marked dormant; starting it clears the mark. */
  PODSPACE_DORMANT_AFTER_DAYS: days.default(30),
  /** A dormant workspace, home volume and all, is deleted this many days after it became dormant; unset never deletes. */
  PODSPACE_DORMANT_DELETE_AFTER_DAYS: days.optional(),
  /** Kubernetes: the namespace Podspace itself runs in, whose pods may reach workspaces. */
  PODSPACE_K8S_SELF_NAMESPACE: z.string().min(1).default("podspace"),
  /** Least severe log level written (JSON lines on stdout). */
  PODSPACE_LOG_LEVEL: z
    .enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"], { error: "expected fatal, error, warn, info, debug, trace or silent" })
    .default("info"),
  /**
   * Where each workspace's IDE is served: a wildcard host like *.ide.podspace.example.com whose DNS and TLS
   * point at Podspace gives each its own origin, <workspace id>.<domain> (scheme and port are PODSPACE_URL's).
   * Unset: *.ide.<PODSPACE_URL's host>. `same-origin` serves it under /w/<id>/ide/ on Podspace's own origin
   * instead, for installs without wildcard DNS, at a cost the README's Security model spells out.
   */
  PODSPACE_IDE_HOST: wildcardHost("*.ide.podspace.example.com", "same-origin").optional(),
  /**
   * Where apps listening in workspaces are served (preview URLs): a wildcard host like *.preview.podspace.example.com
   * whose DNS and TLS point at Podspace gives each port its own origin, p<port>-<workspace id>.<domain>.
   * Unset: *.preview.<PODSPACE_URL's host>. A domain of its own (not under Podspace's) keeps apps off Podspace's site.
   * "off" turns preview URLs off (no wildcard DNS for them): ports are listed, and reached with podspace port-forward.
   */
  PODSPACE_PREVIEW_HOST: wildcardHost("*.preview.podspace.example.com", "off").optional(),
  /** The widest share level any workspace's port may have (owner, team, authenticated, public); teams' admins may narrow it for their team. */
  PODSPACE_PREVIEW_MAX_SHARE: z
    .enum(SHARE_LEVELS, { error: `expected one of ${SHARE_LEVELS.join(", ")}` })
    .default("public"),
  /** The longest an API token may live, in days; a token's expiry is chosen within it. */
  PODSPACE_API_TOKEN_MAX_DAYS: z.coerce.number().int().min(1).max(3650).default(90),
  /** Requests per minute each API token may make (a burst of as many, refilled evenly); more get 429. */
  PODSPACE_API_RATE_LIMIT: z.coerce.number().int().min(1).default(600),
  /** Commands each API token may have running at once (exec, its WebSocket, file copies), per replica; more get 429. */
  PODSPACE_API_MAX_CONCURRENT_EXEC: z.coerce.number().int().min(1).default(8),
  /** The largest tar archive PUT /api/v1/workspaces/<id>/files takes, in MiB; a larger one gets 413. */
  PODSPACE_API_MAX_UPLOAD_MB: z.coerce.number().int().min(1).default(100),
  /** Bearer token Prometheus sends to GET /api/metrics; unset turns the endpoint off (404). */
  PODSPACE_METRICS_TOKEN: z.string().min(16, { error: "expected at least 16 characters (openssl rand -hex 16)" }).optional(),
  /** How the other replicas reach this one (terminals are forwarded to the replica that holds them). Default: this host's first IPv4 address. */
  PODSPACE_INTERNAL_URL: z.url({ protocol: /^http$/, error: "expected an http:// URL such as http://10.1.2.3:3000" }).optional(),
  /** Workspace backups (restic): on by default, into PODSPACE_BACKUP_DIR unless an S3 bucket is set; `off` turns them off. */
  PODSPACE_BACKUPS: z.enum(["on", "off"], { error: "expected on or off" }).default("on"),
  /** The folder backups go to when no S3 bucket is set. Default: <PODSPACE_DATA_DIR>/backups. */
  PODSPACE_BACKUP_DIR: z.string().min(1).optional(),
  /** An S3-compatible bucket for backups; credentials are AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY. */
  PODSPACE_BACKUP_S3_BUCKET: z
    .string()
    .regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, { error: "expected an S3 bucket name (lowercase letters, digits, dots and dashes)" })
    .optional(),
  /** The S3 endpoint, for anything but AWS (MinIO, Ceph, R2…). Default: https://s3.amazonaws.com. */
  PODSPACE_BACKUP_S3_ENDPOINT: z.url({ protocol: /^https?$/, error: "expected an http(s):// URL such as https://minio.example.com:9000" }).optional(),
  PODSPACE_BACKUP_S3_REGION: z.string().min(1).default("us-east-1"),
  /** A folder in the bucket to keep Podspace's backups under (no leading or trailing slash). */
  PODSPACE_BACKUP_S3_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9._-]+(\/[A-Za-z0-9._-]+)*$/, { error: "expected a path like podspace/prod, without leading or trailing slashes" })
    .optional(),
  /** Path-style requests (endpoint/bucket/key), as MinIO and most self-hosted stores want. */
  PODSPACE_BACKUP_S3_PATH_STYLE: z.enum(["true", "false"], { error: "expected true or false" }).default("false"),
  /** A PEM file of the CA that signed the endpoint's certificate, for a store with a private CA. */
  PODSPACE_BACKUP_S3_CA_FILE: z.string().min(1).optional(),
  /**
   * Kubernetes: the image of the pods that back up and restore a workspace's
   * home; it must have restic and sh on its PATH. Default: restic/restic:0.14.0.
   */
  PODSPACE_BACKUP_IMAGE: z.string().min(1).optional(),
  AWS_ACCESS_KEY_ID: z.string().min(1).optional(),
  AWS_SECRET_ACCESS_KEY: z.string().min(1).optional(),
  /**
   * What each team's backup key is derived from. Default: AUTH_SECRET, so
   * rotating AUTH_SECRET would lock existing backups away: set this to a
   * secret of its own (openssl rand -base64 32) and keep it.
   */
  PODSPACE_BACKUP_KEY: z.string().min(32, { error: "expected at least 32 characters (openssl rand -base64 32)" }).optional(),
  /**
   * The AI gateway's providers, aliases and routing rules: a JSON file (lib/ai/config.ts has its shape). Unset, with
   * PODSPACE_AI_PROVIDERS unset too, the gateway is off. Provider keys are not in it: it names the variables holding them.
   */
  PODSPACE_AI_PROVIDERS_FILE: z.string().min(1).optional(),
  /** The same as JSON in the variable itself, for a Secret or a one-line setup. */
  PODSPACE_AI_PROVIDERS: z.string().min(1).optional(),
  /**
   * Kubernetes: the URL workspace pods reach Podspace's AI port at, its in-cluster Service's `ai` port
   * (e.g. http://podspace.podspace.svc:3001). The local runtime needs none: its sandboxes reach it through a socket.
   */
  PODSPACE_AI_INTERNAL_URL: z.url({ protocol: /^https?$/, error: "expected an http(s):// URL such as http://podspace.podspace.svc:3001" }).optional(),
  /** Kubernetes: the port that serves the AI gateway alone to workspace pods (their NetworkPolicy lets them reach only it). */
  PODSPACE_AI_PORT: port.default(3001),
});

export type Env = Omit<z.infer<typeof envSchema>, "PODSPACE_URL" | "PODSPACE_IDE_HOST" | "PODSPACE_PREVIEW_HOST"> & {
  PODSPACE_URL: string;
  /** The IDE's wildcard host, or null for the same-origin mode. */
  PODSPACE_IDE_HOST: string | null;
  /** The preview URLs' wildcard host, or null when they are turned off. */
  PODSPACE_PREVIEW_HOST: string | null;
};

export class EnvError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid environment:\n${problems.map((p) => `  ${p}`).join("\n")}`);
    this.name = "EnvError";
  }
}

/** Parses an environment, treating empty strings as unset (as .env files often leave them). */
export function parseEnv(source: Record<string, string | undefined>): Env {
  const input = Object.fromEntries(Object.entries(source).filter(([, value]) => value !== ""));
  const result = envSchema.safeParse(input);
  if (result.success) {
    const data = result.data;
    // `next build` also runs with NODE_ENV=production and loads this module
    // while it collects page data, but it serves nothing: the secrets a
    // running server needs are checked when that server starts.
    const serving = data.NODE_ENV === "production" && source.NEXT_PHASE !== "phase-production-build";
    if (serving && !data.AUTH_SECRET) {
      throw new EnvError(["AUTH_SECRET: required in production (generate one with: openssl rand -base64 32)"]);
    }
    if (serving && data.PODSPACE_DEMO_IDP === "auto" && data.PODSPACE_OIDC_PROVIDERS.length === 0) {
      throw new EnvError([
        "PODSPACE_OIDC_PROVIDERS: required in production; the demo identity provider runs there only with PODSPACE_DEMO_IDP=true",
      ]);
    }
    const podspaceUrl = (data.PODSPACE_URL ?? `http://podspace.localhost:${data.PORT}`).replace(/\/$/, "");
    return {
      ...data,
      PODSPACE_DATA_DIR: path.resolve(data.PODSPACE_DATA_DIR),
      PODSPACE_URL: podspaceUrl,
      PODSPACE_IDE_HOST: ideHostSetting(data.PODSPACE_IDE_HOST, podspaceUrl),
      PODSPACE_PREVIEW_HOST: data.PODSPACE_PREVIEW_HOST === "off" ? null : (data.PODSPACE_PREVIEW_HOST ?? previewHostDefault(podspaceUrl)),
    };
  }
  throw new EnvError(
    result.error.issues.map((issue) => {
      const name = issue.path.join(".");
      const got = typeof issue.path[0] === "string" ? input[issue.path[0]] : undefined;
      return `${name}: ${issue.message}${got === undefined ? "" : `, got ${JSON.stringify(redact(got))}`}`;
    }),
  );
}

/**
 * The IDE's wildcard host: the one set, else *.ide.<PODSPACE_URL's host>.
 * That default must be on Podspace's site, or browsers that block
 * third-party storage leave the IDE blank in Podspace's iframe; a host that
 * has no subdomains of its own site (localhost, an IP address) can't have it.
 */
function ideHostSetting(setting: string | undefined, podspaceUrl: string): string | null {
  if (setting === "same-origin") return null;
  if (setting) return setting;
  const { hostname, port } = new URL(podspaceUrl);
  if (hostname === "localhost" || isIP(hostname.replace(/^\[|\]$/g, "")) !== 0) {
    const suggestion = `http://podspace.localhost${port ? `:${port}` : ""}`;
    throw new EnvError([
      `PODSPACE_URL: ${hostname} can't give each workspace's IDE an origin of its own on Podspace's site; ` +
        `use a name such as ${suggestion} (browsers resolve *.localhost to this machine), ` +
        `or set PODSPACE_IDE_HOST to a wildcard host, or to same-origin (see the README's Security model for what that risks)`,
    ]);
  }
  return `*.ide.${hostname}`;
}

/** *.preview.<PODSPACE_URL's host>, or *.preview.localhost for a host with no subdomains (localhost, an IP address). */
function previewHostDefault(podspaceUrl: string): string {
  const { hostname } = new URL(podspaceUrl);
  const bare = hostname === "localhost" || isIP(hostname.replace(/^\[|\]$/g, "")) !== 0;
  return `*.preview.${bare ? "localhost" : hostname}`;
}

/** Hides the password in a connection string before it is printed. */
export function redact(value: string): string {
  try {
    const url = new URL(value);
    if (url.password) url.password = "***";
    return url.password ? url.toString() : value;
  } catch {
    return value;
  }
}

/**
 * A secret the settings name rather than hold (an AI provider's key, by the
 * variable it is in), read when it is used so a rotated Secret applies.
 */
export function secretVariable(name: string): string | undefined {
  return process.env[name] || undefined;
}

/**
 * A setting that parses but does not work, found when it is used (a database
 * that refuses connections, a port already taken). Startup prints only the
 * message, which names the variable.
 */
export class ConfigError extends Error {
  override name = "ConfigError";
}

/**
 * Outside production, a missing AUTH_SECRET is the data dir's own: made at
 * the first start and kept there (auth-secret, readable by Podspace alone),
 * since backups' repository keys derive from it (lib/backups/store.ts) and
 * one made afresh at each start would lock the last start's backups away.
 * Published in the environment, so server.ts and the Next.js bundle (each of
 * which loads this module) agree on it.
 */
function ensureLocalAuthSecret(): void {
  if (process.env.NODE_ENV === "production" || process.env.AUTH_SECRET) return;
  const { PODSPACE_DATA_DIR } = parseEnv({ ...process.env, AUTH_SECRET: "x".repeat(32) });
  const file = path.join(PODSPACE_DATA_DIR, "auth-secret");
  fs.mkdirSync(PODSPACE_DATA_DIR, { recursive: true });
  try {
    // Exclusive: a process starting alongside keeps the one written first.
    fs.writeFileSync(file, `${randomBytes(32).toString("base64url")}\n`, { mode: 0o600, flag: "wx" });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
  }
  process.env.AUTH_SECRET = fs.readFileSync(file, "utf8").trim();
}

function loadEnv(): Env {
  try {
    ensureLocalAuthSecret();
    return parseEnv(process.env);
  } catch (error) {
    if (!(error instanceof EnvError)) throw error;
    for (const problem of error.problems) console.error(`podspace: invalid setting ${problem}`);
    process.exit(1);
  }
}

export const env: Env = loadEnv();
