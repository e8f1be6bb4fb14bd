import crypto from "node:crypto";
import fs from "node:fs/promises";
import readline from "node:readline";
import { PassThrough, type Readable } from "node:stream";
import { CoreV1Api, Log, type KubeConfig, type V1ContainerState, type V1Pod, type V1Secret } from "@kubernetes/client-node";
import { RuntimeError, type HomeToolResult, type HomeToolRun, type WorkspaceSpec } from "../types";
import { isNotFound } from "./errors";
import { TOOL_POD_DEADLINE_SECONDS, WORKSPACE_GROUP, WORKSPACE_USER } from "./manifests";
import { HOME_DIR, TEAM_LABEL, workspaceRef } from "./names";

// runOnHome on Kubernetes: a short-lived pod beside the workspace's home
// volume, in the team's namespace, that runs the trusted tool (restic) and
// ends. Its environment (the team's backup key, the store's credentials) and
// files (a CA) come from a Secret made for the run: nothing secret is in the
// pod's spec, and the workspace's pod, which has no service account token,
// can't read it. The pod and the Secret are deleted when the run ends, or
// by the workspace's next run when Podspace stopped in the middle. The
// team's NetworkPolicy selects every pod of the namespace: the tool reaches
// what workspaces reach (the store, outside the cluster or in egressAllow)
// and nothing else in the cluster.

/** The default image: restic and sh (a restore hands the files over with chown). */
export const DEFAULT_HOME_TOOL_IMAGE = "restic/restic:0.14.0";
/** The tool's container; its log is the tool's stdout and stderr, merged. */
const CONTAINER = "tool";
/** What a home tool pod is labelled with: the workspace whose home it runs on. */
export const HOME_TOOL_LABEL = "podspace.dev/home-tool-of";
/** How long the pod may take to start (scheduled, image pulled, volume attached). */
const START_TIMEOUT_MS = 5 * 60_000;
const POLL_MS = 500;
/** Waiting reasons the kubelet won't get out of by itself. */
const STUCK = new Set(["ErrImagePull", "ImagePullBackOff", "InvalidImageName", "CreateContainerError"]);
const STDERR_KEPT = 8_192;

/**
 * As the local runtime's sandbox: root with only the capability the access
 * needs, nothing else; reading sees every file whatever its mode, writing
 * also restores owners and modes.
 */
const CAPABILITIES = {
  read: ["DAC_READ_SEARCH"],
  write: ["DAC_READ_SEARCH", "DAC_OVERRIDE", "CHOWN", "FOWNER", "FSETID"],
};

export interface HomeToolObjects {
  secret: V1Secret;
  pod: V1Pod;
}

/** A CA or another file the tool reads, at its path on Podspace's host. */
interface ToolFile {
  path: string;
  content: Buffer;
}

/**
 * The Secret and the Pod of one run. Host paths become what a pod can have:
 * a file the tool reads (a CA) is copied into the Secret and mounted at its
 * path; a writable one (restic's cache) is an emptyDir, as the cache is only
 * an optimisation.
 */
export function homeToolObjects(
  spec: WorkspaceSpec,
  run: Pick<HomeToolRun, "command" | "env" | "access">,
  options: { namespacePrefix: string; image: string; files: ToolFile[]; scratchDirs: string[]; nodeName?: string },
): HomeToolObjects {
  const ref = workspaceRef(options.namespacePrefix, spec);
  const name = `tool-${spec.id}-${crypto.randomBytes(3).toString("hex")}`;
  const labels = { "app.kubernetes.io/name": "podspace-home-tool", [HOME_TOOL_LABEL]: spec.id, [TEAM_LABEL]: spec.teamSlug };
  const fileKey = (index: number) => `file-${index}`;
  const secret: V1Secret = {
    apiVersion: "v1",
    kind: "Secret",
    metadata: { name, namespace: ref.namespace, labels },
    type: "Opaque",
    data: Object.fromEntries([
      ...Object.entries(run.env).map(([key, value]) => [key, Buffer.from(value).toString("base64")]),
      ...options.files.map((file, index) => [fileKey(index), file.content.toString("base64")]),
    ]),
  };
  // A restore writes the snapshot's owners; the files are then the workspace user's, as its own pod runs.
  const command =
    run.access === "write"
      ? ["sh", "-c", `"$@"; status=$?; chown -R -h ${WORKSPACE_USER}:${WORKSPACE_GROUP} ${HOME_DIR} && exit $status`, "sh", ...run.command]
      : run.command;
  const scheduling = spec.scheduling ?? {};
  const pod: V1Pod = {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name, namespace: ref.namespace, labels },
    spec: {
      restartPolicy: "Never",
      // Outside the team's compute quota (manifests.ts): a backup runs whatever the workspaces use.
      activeDeadlineSeconds: TOOL_POD_DEADLINE_SECONDS,
      automountServiceAccountToken: false,
      enableServiceLinks: false,
      securityContext: { runAsUser: 0, runAsGroup: 0, seccompProfile: { type: "RuntimeDefault" } },
      // The home volume is ReadWriteOnce: where the workspace runs, its pod holds it on that node.
      ...(options.nodeName
        ? {
            affinity: {
              nodeAffinity: {
                requiredDuringSchedulingIgnoredDuringExecution: {
                  nodeSelectorTerms: [{ matchFields: [{ key: "metadata.name", operator: "In", values: [options.nodeName] }] }],
                },
              },
            },
          }
        : {}),
      ...(scheduling.nodeSelector && Object.keys(scheduling.nodeSelector).length > 0 ? { nodeSelector: scheduling.nodeSelector } : {}),
      ...(scheduling.tolerations?.length ? { tolerations: scheduling.tolerations } : {}),
      containers: [
        {
          name: CONTAINER,
          image: options.image,
          command,
          env: Object.keys(run.env).map((key) => ({ name: key, valueFrom: { secretKeyRef: { name, key } } })),
          resources: { requests: { cpu: "100m", memory: "256Mi" }, limits: { cpu: "1", memory: "1Gi" } },
          securityContext: {
            allowPrivilegeEscalation: false,
            capabilities: { drop: ["ALL"], add: CAPABILITIES[run.access] },
          },
          volumeMounts: [
            { name: "home", mountPath: HOME_DIR, readOnly: run.access === "read" },
            ...options.files.map((file, index) => ({ name: "files", mountPath: file.path, subPath: fileKey(index), readOnly: true })),
            ...options.scratchDirs.map((dir, index) => ({ name: `scratch-${index}`, mountPath: dir })),
          ],
        },
      ],
      volumes: [
        { name: "home", persistentVolumeClaim: { claimName: ref.claim, readOnly: run.access === "read" } },
        ...(options.files.length > 0
          ? [{ name: "files", secret: { secretName: name, items: options.files.map((_, index) => ({ key: fileKey(index), path: fileKey(index) })), defaultMode: 0o444 } }]
          : []),
        ...options.scratchDirs.map((_, index) => ({ name: `scratch-${index}`, emptyDir: {} })),
      ],
    },
  };
  return { secret, pod };
}

/** Reads the files the tool needs (read-only host paths) from Podspace's own filesystem. */
export async function toolFiles(hostPaths: HomeToolRun["hostPaths"]): Promise<ToolFile[]> {
  return Promise.all(
    hostPaths
      .filter((host) => !host.writable)
      .map(async (host) => {
        try {
          return { path: host.path, content: await fs.readFile(host.path) };
        } catch (error) {
          throw new RuntimeError("invalid", `Could not read ${host.path} for the backup pod: ${(error as Error).message}`, { cause: error });
        }
      }),
  );
}

/**
 * Makes the Secret and the Pod, streams the pod's log to `onStdoutLine`, and
 * resolves with its container's exit code once it ended; deletes both
 * whatever happens. Aborting deletes the pod at once (exit code null).
 */
export async function runHomeToolPod(kubeConfig: KubeConfig, objects: HomeToolObjects, run: Pick<HomeToolRun, "onStdoutLine" | "signal">): Promise<HomeToolResult> {
  const core = kubeConfig.makeApiClient(CoreV1Api);
  const { namespace, name } = objects.pod.metadata as { namespace: string; name: string };
  const deletePod = () => ignoreNotFound(core.deleteNamespacedPod({ namespace, name, body: { gracePeriodSeconds: 0 } }));
  await core.createNamespacedSecret({ namespace, body: objects.secret });
  try {
    await core.createNamespacedPod({ namespace, body: objects.pod });
    const aborted = new AbortController();
    const abort = () => {
      aborted.abort();
      void deletePod().catch(() => {});
    };
    run.signal?.addEventListener("abort", abort, { once: true });
    try {
      if (run.signal?.aborted) abort();
      return await follow(kubeConfig, core, { namespace, name }, run.onStdoutLine, aborted.signal);
    } finally {
      run.signal?.removeEventListener("abort", abort);
      await deletePod();
    }
  } finally {
    await ignoreNotFound(core.deleteNamespacedSecret({ namespace, name }));
  }
}

/**
 * Deletes the workspace's tool pods that ended but are still there, and
 * their Secrets (of the same name): what a run left when Podspace stopped
 * in the middle of it. Pods still running may be another run's, and stay.
 */
export async function sweepEndedToolPods(kubeConfig: KubeConfig, namespace: string, workspaceId: string): Promise<void> {
  const core = kubeConfig.makeApiClient(CoreV1Api);
  const pods = await core.listNamespacedPod({ namespace, labelSelector: `${HOME_TOOL_LABEL}=${workspaceId}` });
  const ended = pods.items.filter((pod) => pod.status?.phase === "Succeeded" || pod.status?.phase === "Failed");
  await Promise.all(
    ended.map(async (pod) => {
      const name = pod.metadata!.name!;
      await ignoreNotFound(core.deleteNamespacedSecret({ namespace, name }));
      await ignoreNotFound(core.deleteNamespacedPod({ namespace, name }));
    }),
  );
}

type PodRef = { namespace: string; name: string };

async function follow(kubeConfig: KubeConfig, core: CoreV1Api, pod: PodRef, onLine: (line: string) => void, signal: AbortSignal): Promise<HomeToolResult> {
  let stderr = "";
  const started = await containerState(core, pod, signal, (state) => Boolean(state.running || state.terminated), START_TIMEOUT_MS);
  if (!started) return { exitCode: null, stderr };
  const output = new PassThrough();
  const lines = readline.createInterface({ input: output, crlfDelay: Infinity });
  lines.on("line", (line) => {
    onLine(line);
    // restic's progress and results are JSON; what else it says (errors, warnings) explains a failure.
    if (!line.startsWith("{")) stderr = `${stderr}${line}\n`.slice(-STDERR_KEPT);
  });
  const drained = new Promise((resolve) => lines.once("close", resolve));
  // client-node pipes the response into `output` and leaves the response's
  // errors (a lost connection, an abort) unhandled: they end the log here.
  output.on("pipe", (response: Readable) => response.once("error", () => output.end()));
  const request = await new Log(kubeConfig).log(pod.namespace, pod.name, CONTAINER, output, { follow: true });
  const stop = () => {
    request.abort();
    output.end();
  };
  signal.addEventListener("abort", stop, { once: true });
  if (signal.aborted) stop();
  await drained;
  signal.removeEventListener("abort", stop);
  // The log ends with the container; if the connection was lost first, the container's end is waited for all the same.
  const ended = await containerState(core, pod, signal, (state) => Boolean(state.terminated));
  return { exitCode: ended?.terminated?.exitCode ?? null, stderr: stderr.trim() };
}

/**
 * Polls the pod until its container's state passes `done`; undefined when
 * aborted. A pod stuck waiting (an image that won't pull) or gone fails.
 */
async function containerState(
  core: CoreV1Api,
  pod: PodRef,
  signal: AbortSignal,
  done: (state: V1ContainerState) => boolean,
  timeoutMs = Infinity,
): Promise<V1ContainerState | undefined> {
  const deadline = Date.now() + timeoutMs;
  let waiting = "it is pending";
  while (!signal.aborted) {
    let current: V1Pod;
    try {
      current = await core.readNamespacedPod(pod);
    } catch (error) {
      if (signal.aborted) break;
      if (isNotFound(error)) throw new RuntimeError("unavailable", `Backup pod ${pod.namespace}/${pod.name} was deleted before it ended`);
      throw error;
    }
    const state = current.status?.containerStatuses?.find((status) => status.name === CONTAINER)?.state;
    if (state && done(state)) return state;
    if (state?.waiting?.reason) {
      waiting = `${state.waiting.reason}${state.waiting.message ? `: ${state.waiting.message}` : ""}`;
      if (STUCK.has(state.waiting.reason)) throw new RuntimeError("unavailable", `Backup pod ${pod.namespace}/${pod.name} can't start: ${waiting}`);
    }
    if (Date.now() > deadline) {
      throw new RuntimeError("unavailable", `Backup pod ${pod.namespace}/${pod.name} did not start within ${timeoutMs / 60_000} min (${waiting})`);
    }
    await sleep(POLL_MS, signal);
  }
  return undefined;
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    signal.addEventListener("abort", done, { once: true });
    function done() {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    }
  });
}

async function ignoreNotFound(request: Promise<unknown>): Promise<void> {
  try {
    await request;
  } catch (error) {
    if (!isNotFound(error)) throw error;
  }
}
