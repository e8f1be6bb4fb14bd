// Podspace's terminal bridge in a process of its own, for bench/terminal.ts
// (so the benchmark's client doesn't share an event loop with the server it
// measures, as ttyd doesn't). Stood up as test/terminal/harness.ts does for
// the tests: a real HTTP server with the terminal route wired as server.ts
// wires it, a running local-runtime workspace, and its owner signed in with a
// database session.
//
// The parent sets PODSPACE_DATA_DIR to a throwaway dir (its embedded database
// lives there). Prints one JSON line, {url, cookie, origin}, then serves until
// SIGTERM.
import { closeDb, databaseTarget } from "@/lib/db/client";
import { prepareDatabase } from "@/lib/db/prepare";
import { cookieFor, createPeople, ORIGIN, runningWorkspace, signIn, startHarness } from "../test/terminal/harness";

await prepareDatabase(databaseTarget());
const harness = await startHarness();
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
