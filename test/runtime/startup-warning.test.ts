import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { startupCommand, startupScriptWarning } from "@/lib/runtime/startup-command";
import { contractSpec } from "./contract";

/** What the workspace's main process writes (stdout and stderr, as its log gets them) with this startup script and `true` as the IDE. */
function mainProcessOutput(startupScript: string): string {
  const [shell, flag, script] = startupCommand(contractSpec("warn", { startupScript }), ["true"]);
  return spawnSync(shell!, [flag!, `exec 2>&1\n${script}`], { encoding: "utf8" }).stdout;
}

describe("the startup script's warning", () => {
  it("names the exit code of a script that failed, with the last 20 lines of its output", () => {
    const warning = startupScriptWarning(mainProcessOutput("for i in $(seq 1 30); do echo line-$i; done; exit 5"));
    const [summary, ...output] = warning!.split("\n");
    expect(summary).toBe("The template's startup script failed with exit code 5; the IDE started all the same.");
    expect(output).toEqual(Array.from({ length: 20 }, (_, i) => `line-${i + 11}`));
  });

  it("shows the script's own output only, not what came before it in the log", () => {
    const log = `slirp4netns: sent tapfd=6 for tap0\n${mainProcessOutput("echo from-the-script; exit 7")}`;
    expect(startupScriptWarning(log)).toBe("The template's startup script failed with exit code 7; the IDE started all the same.\nfrom-the-script");
  });

  it("says nothing when the script succeeded", () => {
    const output = mainProcessOutput("echo all good");
    expect(output).toBe("podspace: running the startup script\nall good\n");
    expect(startupScriptWarning(output)).toBeNull();
  });
});
