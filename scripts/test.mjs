// `npm test`: everything CI checks. Builds the app (the e2e suite runs the
// production server), lints, runs every vitest project, and ends with the
// totals on one line: "N passed, N failed".
import { spawnSync } from "node:child_process";
import fs from "node:fs";

const REPORT = ".vitest/report.json";

function step(command, args) {
  console.log(`\n$ ${command} ${args.join(" ")}`);
  return spawnSync(command, args, { stdio: "inherit" }).status ?? 1;
}

for (const [command, args] of [
  ["next", ["build"]],
  ["eslint", ["."]],
]) {
  const status = step(command, args);
  if (status !== 0) {
    console.error(`\n${command} failed; tests not run`);
    process.exit(status);
  }
}

fs.rmSync(REPORT, { force: true });
const status = step("vitest", ["run", "--reporter=default", "--reporter=json", `--outputFile.json=${REPORT}`]);
if (!fs.existsSync(REPORT)) {
  console.error("vitest wrote no report; the run did not complete");
  process.exit(status || 1);
}
const report = JSON.parse(fs.readFileSync(REPORT, "utf8"));
const skipped = report.numPendingTests + report.numTodoTests;
console.log(
  `\n${report.numPassedTests} passed, ${report.numFailedTests} failed${skipped ? `, ${skipped} skipped` : ""}`,
);
process.exit(status !== 0 || report.numFailedTests > 0 ? 1 : 0);
