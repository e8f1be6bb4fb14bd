// What a workspace pod's status says, as Podspace's status and start steps:
// pure, on pod objects shaped like those the node agent and a kubelet report.
// The same transitions on a real cluster are in kubernetes-node.test.ts.
import { describe, expect, it } from "vitest";
import type { V1ContainerState, V1Pod } from "@kubernetes/client-node";
import { observedStatus, progressOf } from "@/lib/runtime/kubernetes/pod-status";

/** A scheduled workspace pod whose container is in `state`; `ready` is the pod's Ready condition. */
function pod(state: V1ContainerState, options: { ready?: boolean; restartCount?: number; lastState?: V1ContainerState } = {}): V1Pod {
  const ready = options.ready ?? false;
  return {
    metadata: { name: "ws-a1", namespace: "podspace-t", uid: "uid-1" },
    spec: {
      nodeName: "node-1",
      containers: [
        { name: "workspace", image: "podspace/test-ide:1", readinessProbe: { httpGet: { path: "/healthz", port: 13337 } } },
      ],
    },
    status: {
      phase: state.running || state.terminated ? "Running" : "Pending",
      conditions: [
        { type: "PodScheduled", status: "True" },
        { type: "Ready", status: ready ? "True" : "False" },
      ],
      containerStatuses: [
        {
          name: "workspace",
          image: "podspace/test-ide:1",
          imageID: "",
          ready,
          restartCount: options.restartCount ?? 0,
          state,
          lastState: options.lastState ?? {},
        },
      ],
    },
  };
}

const running: V1ContainerState = { running: { startedAt: new Date() } };
const steps = (objects: Parameters<typeof progressOf>[0]) => progressOf(objects).map(({ step }) => step);

describe("a workspace pod's status", () => {
  it("is starting while its container is being created", () => {
    expect(observedStatus({ pod: pod({ waiting: { reason: "ContainerCreating" } }) }).state).toBe("starting");
  });

  it("is running once its container runs, before the IDE answers its health check", () => {
    expect(observedStatus({ pod: pod(running) })).toEqual({ state: "running", message: "Running; the IDE is not ready" });
    expect(observedStatus({ pod: pod(running, { ready: true }) })).toEqual({ state: "running", message: "Running" });
  });

  it("is failed, not running, while its container waits out a crash loop", () => {
    const crashLooping = pod(
      { waiting: { reason: "CrashLoopBackOff" } },
      { restartCount: 3, lastState: { terminated: { exitCode: 3, reason: "Error" } } },
    );
    expect(observedStatus({ pod: crashLooping })).toMatchObject({ state: "failed", reason: "crashed" });
  });
});

describe("a workspace pod's start steps", () => {
  it("reaches shell and ide when its container runs, and ready when the pod is Ready", () => {
    expect(steps({ pod: pod({ waiting: { reason: "ContainerCreating" } }) })).toEqual(["scheduling"]);
    expect(progressOf({ pod: pod(running) }).slice(-2)).toEqual([
      { step: "shell", message: "Container running; the terminal is ready" },
      { step: "ide", message: "Waiting for the IDE to answer /healthz" },
    ]);
    expect(steps({ pod: pod(running, { ready: true }) })).toEqual(["scheduling", "image", "shell", "ide", "ready"]);
  });

  it("words shell and ide the same once the IDE is ready, so each is reported once", () => {
    const before = progressOf({ pod: pod(running) });
    const after = progressOf({ pod: pod(running, { ready: true }) });
    for (const step of ["shell", "ide"]) {
      expect(after.find((p) => p.step === step)).toEqual(before.find((p) => p.step === step));
    }
  });
});
