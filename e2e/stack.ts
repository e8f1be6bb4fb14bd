import type { BrowserContext } from "playwright-core";
import { afterAll, beforeAll, beforeEach, inject } from "vitest";
import { endLocalWorkspaces } from "../test/helpers/local-workspaces";
import { createTestDatabase } from "../test/helpers/postgres-setup";
import { launchBrowser } from "./browser";
import { startPodspace, type PodspaceProcess } from "./harness";

// What most browser tests need for a whole file: a fresh PostgreSQL
// database, a production Podspace server on it and a browser, torn down after.

export interface PodspaceStack {
  database: Awaited<ReturnType<typeof createTestDatabase>>;
  podspace: PodspaceProcess;
  browser: BrowserContext;
}

const SERVER_LINES_ON_FAILURE = 200;

/** Registers the file's setup and teardown; the returned object is filled in before the file's own beforeAll runs. */
export function usePodspaceStack(env: Record<string, string> = {}): PodspaceStack {
  const stack = {} as PodspaceStack;
  beforeAll(async () => {
    stack.database = await createTestDatabase(inject("postgresAdminUrl"));
    [stack.podspace, stack.browser] = await Promise.all([startPodspace({ env: { DATABASE_URL: stack.database.url, ...env } }), launchBrowser()]);
  });
  // A failed test shows what the server said meanwhile: on CI that is all there is to go on.
  beforeEach(({ onTestFailed }) => {
    const from = stack.podspace?.output().length ?? 0;
    onTestFailed(() => {
      const said = stack.podspace?.output().slice(from).split("\n").slice(-SERVER_LINES_ON_FAILURE).join("\n");
      if (said) console.error(`The server's output during this test (its last ${SERVER_LINES_ON_FAILURE} lines at most):\n${said}`);
    });
  });
  afterAll(async () => {
    await stack.browser?.close();
    await stack.podspace?.stop();
    // Workspaces outlive the server, as in production: end the ones this file started.
    if (stack.podspace) await endLocalWorkspaces(stack.podspace.dataDir);
    await stack.database?.drop();
  });
  return stack;
}
