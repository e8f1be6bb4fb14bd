import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { CODE_SERVER_VERSION } from "../lib/runtime/local/code-server";

// A template whose IDE is the real code-server when it is installed in the
// cache (test/runtime/code-server.test.ts installs it), otherwise the test
// IDE (test/fixtures/ide-ws-server.mjs), for the browser tests of the IDE.

const CACHE_DIR = process.env.PODSPACE_CACHE_DIR ?? path.join(os.homedir(), ".cache", "podspace");
export const CODE_SERVER_INSTALLED = fs.existsSync(path.join(CACHE_DIR, `code-server-${CODE_SERVER_VERSION}`, "node_modules", "code-server", "out", "node", "entry.js"));
const TEST_IDE = path.resolve(import.meta.dirname, "../test/fixtures/ide-ws-server.mjs");
const HEALTH_CHECK_SERVER = path.resolve(import.meta.dirname, "../test/fixtures/ide-server.mjs");

/** The IDE of templates whose tests are about anything but the IDE: a small server that answers health checks, quick to start. */
export const HEALTH_CHECK_IDE = { command: [process.execPath, HEALTH_CHECK_SERVER, "{host}", "{port}"], healthPath: "/healthz" };

/**
 * A template with HEALTH_CHECK_IDE, sizes to choose from and a shell to
 * pick: for the tests (and benchmarks) of workspaces' lives through the
 * pages, the API and the CLI. `overrides` replaces whole fields.
 */
export function healthCheckTemplate(slug: string, name: string, overrides: Record<string, unknown> = {}) {
  return {
    slug,
    name,
    description: "A test IDE that answers health checks.",
    image: "podspace/test-ide:1",
    resources: { cpu: { default: 1, options: [1, 2] }, memoryGiB: { default: 1, min: 1, max: 4 }, diskGiB: { default: 1, min: 1, max: 10 } },
    parameters: [{ name: "shell", label: "Shell", type: "string", options: ["bash", "zsh"], default: "bash" }],
    startupScript: "",
    ide: HEALTH_CHECK_IDE,
    ...overrides,
  };
}

export const IDE_TEMPLATE = {
  slug: "e2e-tools",
  name: "E2E tools",
  description: "The terminal and the IDE.",
  image: "podspace/test-ide:1",
  resources: { cpu: { default: 1 }, memoryGiB: { default: 1 }, diskGiB: { default: 1 } },
  parameters: [],
  startupScript: "",
  ide: CODE_SERVER_INSTALLED
    ? { command: ["code-server", "--bind-addr", "{host}:{port}", "--auth", "none", "--disable-telemetry", "--disable-update-check", "."], healthPath: "/healthz" }
    : { command: [process.execPath, TEST_IDE, "{host}", "{port}"], healthPath: "/healthz" },
};

/** The file in the workspace's home that lets GATED_IDE_TEMPLATE's IDE start. */
export const IDE_GATE_FILE = "ide-gate";

/**
 * The test IDE, held back until IDE_GATE_FILE appears in the workspace's
 * home: the test decides when the IDE gets ready, and can use the terminal
 * of a workspace whose IDE is still on its way.
 */
export const GATED_IDE_TEMPLATE = {
  ...IDE_TEMPLATE,
  slug: "e2e-gated-ide",
  name: "E2E gated IDE",
  description: "An IDE that starts once the terminal says so.",
  ide: {
    command: ["/bin/sh", "-c", `until [ -e ${IDE_GATE_FILE} ]; do sleep 0.2; done; exec "$0" "$@"`, process.execPath, TEST_IDE, "{host}", "{port}"],
    healthPath: "/healthz",
  },
};
