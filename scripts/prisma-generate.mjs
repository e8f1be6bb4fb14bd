// Runs `prisma generate` on machines that cannot reach Prisma's binary host.
// The CLI insists on resolving a schema-engine binary before any command, even
// though `generate` never executes it; pointing PRISMA_SCHEMA_ENGINE_BINARY at
// an existing file satisfies that check. The runtime client uses driver
// adapters and needs no engine at all.
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";

const placeholder = fileURLToPath(import.meta.url);
const result = spawnSync("prisma", ["generate"], {
  stdio: "inherit",
  shell: process.platform === "win32",
  env: { PRISMA_SCHEMA_ENGINE_BINARY: placeholder, ...process.env },
});
process.exit(result.status ?? 1);
