// Provisioning benchmark: workspaces started at once on the Kubernetes
// runtime, against a real kube-apiserver, scheduler and controller-manager,
// with the test node agent (in a process of its own, as a kubelet is)
// running the pods as local processes.
//
// Three scenarios, each at 10 and at 50 at once (BENCH_WORKSPACES=10,50 to
// change): a cold create (home volume, Service and pod made from nothing),
// a restart of a stopped workspace (its volume already bound, its old pod
// gone), and a create
// from a warm pool (bench/warm-pool.ts: through createWorkspace and the
// reconciler on PostgreSQL, request → usable terminal). For the first two,
// the time from the request until each step of the start was done, p50/p95:
//
//   submitted   start() resolved: every object applied, the pod accepted by the API
//   volume      the home volume bound
//   scheduling  the pod bound to a node
//   image       the image present
//   shell       the container running: the terminal works (Running)
//   ready       the IDE answers its health check
//
// The runtime reports a step when it begins and again as its message
// changes ("Waiting for a node: …"); a step is done when a later one is
// first reported. Under the warm scenario, a floor: the same terminals
// opened in the pool's members as they are, without a claim.
//
//   npm run bench -- provisioning
import { env } from "@/lib/env";
import { createKubernetesRuntime } from "@/lib/runtime/kubernetes/driver";
import { RUNTIME_STEPS, type RuntimeEvent, type RuntimeStep, type WorkspaceRuntime, type WorkspaceSpec } from "@/lib/runtime/types";
import { startControlPlane } from "../test/helpers/kube/control-plane";
import { TEST_STORAGE_CLASS } from "../test/helpers/kube/node-agent";
import { startNodeAgentProcess } from "../test/helpers/kube/node-agent-process";
import { contractSpec } from "../test/runtime/contract";
import { summarize, type Summary } from "./stats";
import { warmPoolBench } from "./warm-pool";

/** How long one start may take before the benchmark gives up on it. */
const START_TIMEOUT_MS = 180_000;

type Milestone = "submitted" | RuntimeStep;
/** Each milestone's time since the request, in ms; a step the runtime didn't report is missing. */
type StartTimes = Partial<Record<Milestone, number>>;

const MILESTONES: Milestone[] = ["submitted", ...RUNTIME_STEPS.filter((step) => step !== "ide")];

export async function benchProvisioning(): Promise<Record<string, Summary>> {
  const sizes = (process.env.BENCH_WORKSPACES ?? "10,50").split(",").map(Number);
  const controlPlane = await startControlPlane();
  // In a process of its own, as a kubelet is: in this one its spawns would block the code measured.
  const agent = await startNodeAgentProcess(controlPlane.kubeconfigPath);
  const runtime = createKubernetesRuntime({
    kubeConfig: controlPlane.kubeConfig(),
    namespacePrefix: "bench-",
    storageClass: TEST_STORAGE_CLASS,
    egressAllow: [],
    selfNamespace: "podspace",
    inCluster: false,
  });
  const rows: Record<string, Summary> = {};
  // Without a bucket, as Podspace refuses to start on Kubernetes with backups
  // into a folder (lib/runtime/runtime.ts): else every workspace the bench
  // deletes waits on a final backup that can't run, retrying alongside the
  // next scenario. Put back at the end, for the benchmarks after it.
  const backups = env.PODSPACE_BACKUPS;
  env.PODSPACE_BACKUPS = "off";
  try {
    await runtime.prepareTeam({
      slug: "bench",
      limits: { cpuMillicores: null, memoryMiB: null, storageGiB: null, workspaces: null, runningWorkspaces: null },
    });
    const recorder = new StartRecorder(runtime);
    const warm = await warmPoolBench(runtime);
    for (const count of sizes) {
      const specs: WorkspaceSpec[] = Array.from({ length: count }, (_, i) =>
        contractSpec(`b${i}${Date.now().toString(36)}`, { teamSlug: "bench", resources: { cpuMillicores: 100, memoryMiB: 128, diskGiB: 1 } }),
      );
      const cold = await recorder.startAll(specs, async (spec) => {
        await runtime.provision(spec);
        await runtime.start(spec);
      });
      addRows(rows, `cold create, n=${count}`, cold);

      await Promise.all(specs.map((spec) => runtime.stop(spec)));
      await recorder.untilStopped(specs);
      const restart = await recorder.startAll(specs, (spec) => runtime.start(spec));
      addRows(rows, `restart of a stopped workspace, n=${count}`, restart);

      await Promise.all(specs.map((spec) => runtime.destroy(spec)));

      const { times, terminalsAlone, failures } = await warm.createsAtOnce(count);
      rows[`floor, n=${count}: a terminal in each running pool member at once, no claim`] = summarize(terminalsAlone);
      for (const milestone of ["created", "terminal"] as const) {
        const label = `create from a warm pool, n=${count}: request -> ${milestone === "created" ? "claimed (create returned)" : "usable terminal"}`;
        rows[label] =
          failures.length === 0
            ? summarize(times.map((time) => time[milestone]))
            : { kind: "unavailable", reason: `${failures.length} of ${count} failed, e.g. ${failures[0]}` };
      }
    }
    await warm.close();
    recorder.close();
    return rows;
  } finally {
    await runtime.close();
    await agent.stop();
    await controlPlane.stop();
    env.PODSPACE_BACKUPS = backups;
  }
}

function addRows(rows: Record<string, Summary>, scenario: string, starts: StartTimes[]): void {
  for (const milestone of MILESTONES) {
    const times = starts.flatMap((start) => (start[milestone] === undefined ? [] : [start[milestone]]));
    const label = `${scenario}: request -> ${milestone}`;
    if (times.length === 0) continue;
    rows[label] = times.length === starts.length ? summarize(times) : { kind: "unavailable", reason: `only ${times.length} of ${starts.length} reported it` };
  }
}

/** Timestamps every start's steps from the runtime's own events, as the reconciler sees them. */
class StartRecorder {
  private readonly current = new Map<string, { requestedAt: number; times: StartTimes; done: () => void }>();
  private readonly stopped = new Map<string, () => void>();
  private readonly unwatch: () => void;

  constructor(runtime: WorkspaceRuntime) {
    this.unwatch = runtime.watch((event) => this.record(event));
  }

  /** Starts every spec at once with `start`, and resolves with each one's milestones once all are ready. */
  async startAll(specs: WorkspaceSpec[], start: (spec: WorkspaceSpec) => Promise<void>): Promise<StartTimes[]> {
    return Promise.all(
      specs.map(async (spec) => {
        const times: StartTimes = {};
        const ready = new Promise<void>((resolve) => this.current.set(spec.id, { requestedAt: performance.now(), times, done: resolve }));
        const requestedAt = this.current.get(spec.id)!.requestedAt;
        await start(spec);
        times.submitted = performance.now() - requestedAt;
        await withTimeout(ready, `workspace ${spec.id} was not ready within ${START_TIMEOUT_MS / 1000} s: ${JSON.stringify(times)}`);
        this.current.delete(spec.id);
        return times;
      }),
    );
  }

  /** Resolves once the runtime has reported every spec stopped, its pod gone. */
  untilStopped(specs: WorkspaceSpec[]): Promise<unknown> {
    return Promise.all(specs.map((spec) => withTimeout(new Promise<void>((resolve) => this.stopped.set(spec.id, resolve)), `workspace ${spec.id} did not stop`)));
  }

  close(): void {
    this.unwatch();
  }

  private record(event: RuntimeEvent): void {
    // "Stopped", not "Stopping": the old pod is gone, so a restart measures a start rather than the end of the stop.
    const stopped = event.type === "status" && ((event.status.state === "stopped" && event.status.message === "Stopped") || event.status.state === "absent");
    if (stopped) this.stopped.get(event.workspaceId)?.();
    const start = this.current.get(event.workspaceId);
    if (!start) return;
    const now = performance.now() - start.requestedAt;
    // Done: this step, and every earlier one not yet marked done.
    const reached: RuntimeStep | undefined = event.type === "progress" ? event.step : event.status.state === "running" ? "shell" : undefined;
    if (reached === undefined) return;
    const index = RUNTIME_STEPS.indexOf(reached);
    for (const step of RUNTIME_STEPS.slice(0, index)) start.times[step] ??= now;
    if (reached === "ready" || reached === "shell") start.times[reached] ??= now;
    if (start.times.ready !== undefined) start.done();
  }
}

function withTimeout<T>(promise: Promise<T>, message: string): Promise<T> {
  let timer: NodeJS.Timeout;
  const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(message)), START_TIMEOUT_MS)));
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
