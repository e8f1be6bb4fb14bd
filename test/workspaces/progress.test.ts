import { describe, expect, it } from "vitest";
import { eventRows } from "@/components/workspaces/event-log";
import { ideStatus, latestAttempt, progressSteps, splitFailureMessage, terminalUnavailable, type StepStatus } from "@/components/workspaces/progress";
import type { WorkspaceEventView } from "@/lib/workspaces/get-workspace";

// The workspace page's reading of the event log: the start's steps, whether
// the IDE can load, and the log's rows.

let clock = Date.parse("2026-01-01T10:00:00Z");
let ids = 0;

function event(step: string, message: string, extra: Partial<WorkspaceEventView> = {}): WorkspaceEventView {
  clock += 1_000;
  return { id: `e${++ids}`, level: "INFO", step, message, durationMs: null, data: null, createdAt: new Date(clock).toISOString(), ...extra };
}

const move = (from: string, to: string, message = to.toLowerCase()) =>
  event("state", message, { data: { from, to }, level: to === "FAILED" ? "ERROR" : "INFO" });

/** One start on the local runtime, up to its shell: the workspace is RUNNING after this. */
const startToShell = (from = "PENDING") => [
  move(from, "STARTING", "Starting"),
  event("submitted", "Sandbox launched"),
  event("volume", "Home directory /data/workspaces/w1"),
  event("scheduling", "Runs on this host"),
  event("image", "The local runtime does not pull ubuntu:24.04"),
  event("shell", "Shell ready"),
  move("STARTING", "RUNNING", "Running"),
];

const statuses = (events: WorkspaceEventView[], state: Parameters<typeof progressSteps>[1], desired: Parameters<typeof progressSteps>[2] = "RUNNING") =>
  Object.fromEntries(progressSteps(events, state, desired).map((step) => [step.step, step.status])) as Record<string, StepStatus>;

describe("progressSteps", () => {
  it("lists the submission first, and the shell step between the image and the IDE", () => {
    expect(progressSteps([], "PENDING", "RUNNING").map((step) => [step.step, step.label])).toEqual([
      ["submitted", "Submitted"],
      ["volume", "Home volume"],
      ["scheduling", "Scheduling"],
      ["image", "Image"],
      ["shell", "Shell ready"],
      ["ide", "IDE starting"],
      ["ready", "IDE ready"],
    ]);
  });

  it("marks what is done and what is under way while starting", () => {
    const events = startToShell().slice(0, 4);
    expect(statuses(events, "STARTING")).toEqual({ submitted: "done", volume: "done", scheduling: "done", image: "active", shell: "waiting", ide: "waiting", ready: "waiting" });
  });

  it("keeps the IDE step under way, with its latest phase, while the workspace runs", () => {
    const events = [...startToShell(), event("ide", "Installing code-server 4.139.1 (first use only)"), event("ide", "Starting code-server")];
    const steps = progressSteps(events, "RUNNING", "RUNNING");
    expect(statuses(events, "RUNNING")).toEqual({ submitted: "done", volume: "done", scheduling: "done", image: "done", shell: "done", ide: "active", ready: "waiting" });
    expect(steps.find((step) => step.step === "ide")?.message).toBe("Starting code-server");
  });

  it("leaves a warning about a step (a failed startup script) to the event log", () => {
    const warning = event("ide", "The template's startup script failed with exit code 1; the IDE started all the same.", { level: "WARNING" });
    const events = [...startToShell(), event("ide", "Starting code-server"), warning];
    expect(progressSteps(events, "RUNNING", "RUNNING").find((step) => step.step === "ide")?.message).toBe("Starting code-server");
    expect(ideStatus({ state: "RUNNING", stateChangedAt: warning.createdAt }, events)).toMatchObject({ kind: "starting", message: "Starting code-server" });
  });

  it("counts the shell as up once running, even from a runtime that doesn't report that step", () => {
    const events = [move("PENDING", "STARTING"), event("volume", "Home volume bound"), move("STARTING", "RUNNING")];
    expect(statuses(events, "RUNNING")).toEqual({ submitted: "done", volume: "done", scheduling: "done", image: "done", shell: "done", ide: "active", ready: "waiting" });
  });

  it("is all done once the IDE is ready", () => {
    const events = [...startToShell(), event("ide", "Starting code-server"), event("ready", "IDE ready")];
    expect(new Set(Object.values(statuses(events, "RUNNING")))).toEqual(new Set(["done"]));
  });

  it("marks the IDE step failed when installing or starting the IDE fails", () => {
    const events = [...startToShell(), event("ide", "Building code-server's native modules"), move("RUNNING", "FAILED", "Could not build code-server\nmake: *** Error 1")];
    expect(statuses(events, "FAILED")).toEqual({ submitted: "done", volume: "done", scheduling: "done", image: "done", shell: "done", ide: "failed", ready: "waiting" });
  });

  it("marks the step after the last one reported failed when an earlier step fails", () => {
    const events = [...startToShell().slice(0, 5), move("STARTING", "FAILED", "The shell could not start")];
    expect(statuses(events, "FAILED")).toEqual({ submitted: "done", volume: "done", scheduling: "done", image: "done", shell: "failed", ide: "waiting", ready: "waiting" });
  });

  it("shows the latest attempt only", () => {
    const first = [...startToShell(), event("ide", "Starting code-server"), event("ready", "IDE ready"), move("RUNNING", "STOPPING"), move("STOPPING", "STOPPED")];
    const second = [move("STOPPED", "STARTING", "Starting"), event("volume", "Home directory again")];
    expect(statuses([...first, ...second], "STARTING")).toEqual({
      submitted: "done",
      volume: "done",
      scheduling: "active",
      image: "waiting",
      shell: "waiting",
      ide: "waiting",
      ready: "waiting",
    });
  });

  it("doesn't tick off an IDE that never got ready when the workspace stopped", () => {
    const events = [...startToShell(), event("ide", "Starting code-server"), move("RUNNING", "STOPPING"), move("STOPPING", "STOPPED")];
    expect(statuses(events, "STOPPED", "STOPPED")).toMatchObject({ shell: "done", ide: "waiting", ready: "waiting" });
  });
});

describe("latestAttempt", () => {
  it("is what came after the latest move to STARTING", () => {
    const events = [...startToShell(), move("RUNNING", "STOPPED"), move("STOPPED", "STARTING"), event("volume", "again")];
    expect(latestAttempt(events).map((e) => e.message)).toEqual(["again"]);
  });

  it("is every event when the move to STARTING fell out of the window the page keeps", () => {
    const events = startToShell().slice(1);
    expect(latestAttempt(events)).toEqual(events);
  });
});

describe("ideStatus", () => {
  const running = (events: WorkspaceEventView[]) => ({ state: "RUNNING" as const, stateChangedAt: events.findLast((e) => e.data?.to === "RUNNING")!.createdAt });

  it("is offline unless the workspace runs", () => {
    expect(ideStatus({ state: "STARTING", stateChangedAt: new Date(clock).toISOString() }, startToShell().slice(0, 3))).toEqual({ kind: "offline" });
  });

  it("follows the IDE's latest phase while the workspace runs, timed from that phase", () => {
    const events = [...startToShell(), event("ide", "Installing code-server 4.139.1 (first use only)")];
    const phase = event("ide", "Starting code-server");
    events.push(phase);
    expect(ideStatus(running(events), events)).toEqual({ kind: "starting", message: "Starting code-server", since: phase.createdAt });
  });

  it("times the wait from the move to RUNNING before the IDE reports anything", () => {
    const events = startToShell();
    expect(ideStatus(running(events), events)).toEqual({ kind: "starting", message: "Starting the IDE", since: events.at(-1)!.createdAt });
  });

  it("is ready once the IDE reported ready since the latest start", () => {
    const events = [...startToShell(), event("ide", "Starting code-server"), event("ready", "IDE ready")];
    expect(ideStatus(running(events), events)).toEqual({ kind: "ready" });
  });

  it("doesn't count a ready from an earlier run", () => {
    const events = [
      ...startToShell(),
      event("ready", "IDE ready"),
      move("RUNNING", "STOPPING"),
      move("STOPPING", "STOPPED"),
      ...startToShell("STOPPED"),
      event("ide", "Starting code-server"),
    ];
    expect(ideStatus(running(events), events)).toMatchObject({ kind: "starting", message: "Starting code-server" });
  });

  it("is ready on a page whose events no longer reach back to the move to STARTING", () => {
    const events = [...startToShell(), event("ide", "Starting code-server"), event("ready", "IDE ready")].slice(2);
    expect(ideStatus(running(events), events)).toEqual({ kind: "ready" });
  });
});

describe("terminalUnavailable", () => {
  it("lets the terminal connect only to a running workspace that isn't being deleted, and says what the workspace is doing otherwise", () => {
    expect(terminalUnavailable({ state: "RUNNING", desiredState: "RUNNING" })).toBeNull();
    // A stop asked for: the shell still runs until it stops.
    expect(terminalUnavailable({ state: "RUNNING", desiredState: "STOPPED" })).toBeNull();
    expect(terminalUnavailable({ state: "RUNNING", desiredState: "DELETED" })).toBe("Workspace is being deleted.");
    expect(terminalUnavailable({ state: "DELETING", desiredState: "DELETED" })).toBe("Workspace is being deleted.");
    expect(terminalUnavailable({ state: "STOPPED", desiredState: "DELETED" })).toBe("Workspace is being deleted.");
    expect(terminalUnavailable({ state: "FAILED", desiredState: "RUNNING" })).toBe("Workspace failed. Retry it to open a terminal.");
    expect(terminalUnavailable({ state: "STARTING", desiredState: "RUNNING" })).toBe("Workspace is starting. The terminal opens when it runs.");
    expect(terminalUnavailable({ state: "STOPPING", desiredState: "STOPPED" })).toBe("Workspace is stopping.");
    expect(terminalUnavailable({ state: "STOPPED", desiredState: "STOPPED" })).toBe("Workspace is not running. Start it to open a terminal.");
  });
});

describe("splitFailureMessage", () => {
  it("keeps a one-line message whole", () => {
    expect(splitFailureMessage("The IDE exited with code 3")).toEqual({ summary: "The IDE exited with code 3" });
  });

  it("splits the sentence from the output's tail", () => {
    expect(splitFailureMessage("Installing code-server failed.\n\nnpm error gyp ERR!\nnpm error code 1\n")).toEqual({
      summary: "Installing code-server failed.",
      output: "npm error gyp ERR!\nnpm error code 1",
    });
  });

  it("has no output when only blank lines follow", () => {
    expect(splitFailureMessage("Failed.\n  \n")).toEqual({ summary: "Failed." });
  });
});

describe("eventRows", () => {
  it("folds consecutive events alike into one row with their count and the latest time, newest first", () => {
    const probes = Array.from({ length: 90 }, () => event("ide", "Waiting for the IDE to answer /healthz"));
    const events = [event("volume", "Home directory"), ...probes, event("ready", "IDE ready")];
    const rows = eventRows(events);
    expect(rows.map((row) => [row.event.step, row.count])).toEqual([
      ["ready", 1],
      ["ide", 90],
      ["volume", 1],
    ]);
    expect(rows[1]!.event).toBe(probes.at(-1));
  });

  it("keeps repeats apart when something else came between them", () => {
    const events = [event("ide", "Starting code-server"), event("ready", "IDE ready"), event("ide", "Starting code-server")];
    expect(eventRows(events).map((row) => row.count)).toEqual([1, 1, 1]);
  });

  it("keeps events apart that differ in step, level or state move", () => {
    const events = [
      event("ide", "Same words"),
      event("image", "Same words"),
      event("image", "Same words", { level: "WARNING" }),
      move("STOPPED", "STARTING", "Starting"),
      move("FAILED", "STARTING", "Starting"),
    ];
    expect(eventRows(events).map((row) => row.count)).toEqual([1, 1, 1, 1, 1]);
  });
});
