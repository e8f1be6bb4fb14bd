#!/usr/bin/env node
// The podspace CLI's launcher (package.json's "bin"): runs cli/main.ts with
// the Node 24 this repository pins (a devDependency: without it, the node
// that started this script) and its tsx, and exits as the CLI does.
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { constants } from "node:os";
import { fileURLToPath } from "node:url";

const pinned = fileURLToPath(new URL("../node_modules/node/bin/node", import.meta.url));
const node = existsSync(pinned) ? pinned : process.execPath;
const cli = spawn(node, ["--import", import.meta.resolve("tsx"), fileURLToPath(new URL("main.ts", import.meta.url)), ...process.argv.slice(2)], {
  stdio: "inherit",
});
// Ctrl-C reaches the CLI through the terminal's process group; a signal sent to this process alone is passed on.
for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => cli.kill(signal));
cli.on("exit", (code, signal) => {
  process.exitCode = code ?? 128 + (constants.signals[signal] ?? 0);
});
