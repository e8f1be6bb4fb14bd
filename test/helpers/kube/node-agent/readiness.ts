// A container's readiness probe, run like the kubelet's prober: after
// initialDelaySeconds, every periodSeconds; ready after successThreshold
// successes in a row, unready again after failureThreshold failures; an
// Unhealthy event for every failure. Only httpGet probes are run (through
// the pod's network namespace); a container with another kind of probe, or
// none, counts as ready once it runs.
import type { V1Container } from "@kubernetes/client-node";
import { sleep } from "./api";
import { httpProbe } from "./probe";

export interface ReadinessTarget {
  container: V1Container;
  sandboxPid: number;
  /** The kubelet probes the pod's IP unless the probe names a host. */
  podIP: string;
  setReady(ready: boolean): void;
  unhealthy(message: string): void;
}

/** Runs until `signal` aborts (the container exited or is being stopped). */
export async function watchReadiness(target: ReadinessTarget, signal: AbortSignal): Promise<void> {
  const probe = target.container.readinessProbe;
  const action = probe?.httpGet;
  if (!action) {
    target.setReady(true);
    return;
  }
  const port = resolvePort(target.container, action.port);
  if (port === undefined) {
    target.unhealthy(`Readiness probe failed: the container has no port named "${action.port}"`);
    return;
  }
  const host = action.host ?? target.podIP;
  const url = `http://${host}:${port}${action.path ?? "/"}`;
  const timeoutMs = (probe.timeoutSeconds ?? 1) * 1000;
  let ready = false;
  let successes = 0;
  let failures = 0;
  try {
    await sleep((probe.initialDelaySeconds ?? 0) * 1000, signal);
    for (;;) {
      const failure = await httpProbe(target.sandboxPid, action, { host, port, timeoutMs }).then(
        // The kubelet counts 2xx and 3xx as success.
        (status) => (status >= 200 && status < 400 ? undefined : `HTTP probe failed with statuscode: ${status}`),
        (error: Error) => `Get "${url}": ${error.message}`,
      );
      if (signal.aborted) return;
      if (failure === undefined) {
        failures = 0;
        if (!ready && ++successes >= (probe.successThreshold ?? 1)) target.setReady((ready = true));
      } else {
        successes = 0;
        target.unhealthy(`Readiness probe failed: ${failure}`);
        if (ready && ++failures >= (probe.failureThreshold ?? 3)) target.setReady((ready = false));
      }
      await sleep((probe.periodSeconds ?? 10) * 1000, signal);
    }
  } catch {
    // aborted while sleeping: the container is gone
  }
}

function resolvePort(container: V1Container, port: number | string): number | undefined {
  if (typeof port === "number") return port;
  if (/^\d+$/.test(port)) return Number(port);
  return container.ports?.find((p) => p.name === port)?.containerPort;
}
