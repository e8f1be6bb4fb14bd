// Pod processes run in detached process groups (startProcessGroup), and the
// pod network lives in the host's kernel (a bridge, veths, an nftables
// table), so all would outlive a test worker that dies without calling
// stop(). This keeps the live groups and the commands that undo the network
// in files, kills and runs them from an exit hook, and, for a worker that is
// SIGKILLed (no hooks run), from a watchdog shell that waits for the
// worker's pid to disappear.
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import path from "node:path";

export class OrphanGuard {
  private readonly groups = new Set<number>();
  /** Shell command lines, run once the groups are dead. */
  private readonly teardowns = new Set<string>();
  private readonly groupsFile: string;
  private readonly teardownFile: string;
  private readonly watchdog: ChildProcess;
  private readonly onExit = () => this.cleanUp();

  constructor(dir: string) {
    this.groupsFile = path.join(dir, "process-groups");
    this.teardownFile = path.join(dir, "teardown.sh");
    this.save();
    const script =
      `while kill -0 ${process.pid} 2>/dev/null; do sleep 1; done; ` +
      // No "--": dash's kill takes "-<pgid>" after the signal, and rejects "--".
      `for g in $(cat "$1" 2>/dev/null); do kill -9 "-$g" 2>/dev/null; done; ` +
      `sh "$2" >/dev/null 2>&1`;
    this.watchdog = spawn("sh", ["-c", script, "node-agent-watchdog", this.groupsFile, this.teardownFile], {
      stdio: "ignore",
      detached: true,
    });
    this.watchdog.unref();
    process.once("exit", this.onExit);
  }

  track(pgid: number): void {
    this.groups.add(pgid);
    this.save();
  }

  untrack(pgid: number): void {
    this.groups.delete(pgid);
    this.save();
  }

  /** Remembers a command that undoes something on the host, for when the agent can't. */
  addTeardown(argv: string[]): void {
    this.teardowns.add(shellLine(argv));
    this.save();
  }

  /** The agent undid it itself. */
  removeTeardown(argv: string[]): void {
    this.teardowns.delete(shellLine(argv));
    this.save();
  }

  /** Call after every group has been stopped: ends the watchdog and the exit hook. */
  dispose(): void {
    this.cleanUp();
    process.removeListener("exit", this.onExit);
    if (this.watchdog.pid && this.watchdog.exitCode === null) {
      try {
        process.kill(-this.watchdog.pid, "SIGKILL"); // the shell and its `sleep`
      } catch {
        // already gone
      }
    }
  }

  private cleanUp(): void {
    for (const pgid of this.groups) {
      try {
        process.kill(-pgid, "SIGKILL");
      } catch {
        // already gone
      }
    }
    this.groups.clear();
    if (this.teardowns.size > 0) {
      // Synchronous: this also runs from the exit hook, where nothing async completes.
      try {
        execFileSync("sh", ["-c", [...this.teardowns].join("\n")], { stdio: "ignore" });
      } catch {
        // each command undoes what may already be gone
      }
      this.teardowns.clear();
    }
    this.save();
  }

  private save(): void {
    try {
      fs.writeFileSync(this.groupsFile, [...this.groups].join(" "));
      fs.writeFileSync(this.teardownFile, [...this.teardowns].join("\n"));
    } catch {
      // the agent's dir is being removed
    }
  }
}

function shellLine(argv: string[]): string {
  return argv.map((arg) => `'${arg.replaceAll("'", `'\\''`)}'`).join(" ");
}
