// Podspace's terminal bridge in a process of its own, for bench/terminal.ts
// (so the benchmark's client doesn't share an event loop with the server it
// measures, as ttyd doesn't). Stood up as test/terminal/harness.ts does for
// the tests: a real HTTP server with the terminal route wired as server.ts
// wires it, a running local-runtime workspace, and its owner signed in with a
// database session.
//
// With --unsandboxed, the bridge's shells are opened outside the workspace's
// sandbox (./unsandboxed-shell.ts), everything else the same: the sandbox's
// cost is the difference between the two.
//
// The parent sets PODSPACE_DATA_DIR to a throwaway dir (its embedded database
// lives there). Prints one JSON line, {url, cookie, origin}, then serves until
// SIGTERM.
import fs from "node:fs";
import path from "node:path";
import { closeDb, databaseTarget } from "@/lib/db/client";
import { prepareDatabase } from "@/lib/db/prepare";
import { env } from "@/lib/env";
import { cookieFor, createPeople, ORIGIN, runningWorkspace, signIn, startHarness } from "../test/terminal/harness";
import { unsandboxedShell } from "./unsandboxed-shell";

await prepareDatabase(databaseTarget());
/** The unsandboxed shells' HOME: in the data dir, which the parent removes. */
const home = path.join(env.PODSPACE_DATA_DIR, "unsandboxed-home");
const unsandboxed = process.argv.includes("--unsandboxed");
if (unsandboxed) fs.mkdirSync(home);
const harness = await startHarness(unsandboxed ? { openShell: async (_spec, terminal) => unsandboxedShell(home, terminal) } : {});
const people = await createPeople("bench");
const workspace = await runningWorkspace(harness, people, "bench-shell");
const cookie = cookieFor(await signIn(people.owner));
console.log(JSON.stringify({ url: `${harness.wsBase}/api/workspaces/${workspace.id}/terminal`, cookie, origin: ORIGIN }));

process.once("SIGTERM", () => {
  void harness
    .close()
    .then(() => closeDb())
    .finally(() => process.exit(0));
});
