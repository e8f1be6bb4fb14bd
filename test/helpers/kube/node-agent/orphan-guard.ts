// Pod processes run in detached process groups (startProcessGroup), so they
// would outlive a test worker that dies without calling stop(). This keeps
// the list of live groups in a file, kills them from an exit hook, and, for a
// worker that is SIGKILLed (no hooks run), from a watchdog shell that waits
// for the worker's pid to disappear.
import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import path from "node:path";

export class OrphanGuard {
  private readonly groups = new Set<number>();
  private readonly file: string;
  private readonly watchdog: ChildProcess;
  private readonly onExit = () => this.killAll();

  constructor(dir: string) {
    this.file = path.join(dir, "process-groups");
    fs.writeFileSync(this.file, "");
    const script =
      `while kill -0 ${process.pid} 2>/dev/null; do sleep 1; done; ` +
      // No "--": dash's kill takes "-<pgid>" after the signal, and rejects "--".
      `for g in $(cat "$1" 2>/dev/null); do kill -9 "-$g" 2>/dev/null; done`;
    this.watchdog = spawn("sh", ["-c", script, "node-agent-watchdog", this.file], {
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

  /** Call after every group has been stopped: ends the watchdog and the exit hook. */
  dispose(): void {
    this.killAll();
    process.removeListener("exit", this.onExit);
    if (this.watchdog.pid && this.watchdog.exitCode === null) {
      try {
        process.kill(-this.watchdog.pid, "SIGKILL"); // the shell and its `sleep`
      } catch {
        // already gone
      }
    }
  }

  private killAll(): void {
    for (const pgid of this.groups) {
      try {
        process.kill(-pgid, "SIGKILL");
      } catch {
        // already gone
      }
    }
    this.groups.clear();
    this.save();
  }

  private save(): void {
    try {
      fs.writeFileSync(this.file, [...this.groups].join(" "));
    } catch {
      // the agent's dir is being removed
    }
  }
}
