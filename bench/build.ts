import { spawnSync } from "node:child_process";
import { existsSync, statSync } from "node:fs";

/** Benchmarks of the production server run on the build in .next, making one when there is none (rebuild after changing the code). */
export function ensureBuild(): void {
  if (!existsSync(".next/BUILD_ID")) {
    console.log("  no build in .next: running next build");
    const status = spawnSync("npx", ["next", "build"], { stdio: "inherit" }).status;
    if (status !== 0) throw new Error("next build failed");
  }
  console.log(`  on the build from ${statSync(".next/BUILD_ID").mtime.toISOString()}`);
}
