import { randomBytes } from "node:crypto";
import os from "node:os";
import { env } from "@/lib/env";

// Who this process is among Podspace's replicas: a name that is new at every
// start (so a restarted replica never inherits a dead one's terminal
// sessions or leadership), and the address the other replicas reach it at.

export interface Replica {
  /** hostname (the pod's name in Kubernetes) plus a per-start suffix. */
  readonly id: string;
  /** Base URL of this replica's HTTP server on the internal network. */
  readonly internalUrl: string;
}

const REPLICA = Symbol.for("podspace.replica");
const globalStore = globalThis as { [REPLICA]?: Replica };

/** This process's identity; the same object in server.ts and the Next.js bundle. */
export function currentReplica(): Replica {
  return (globalStore[REPLICA] ??= {
    id: `${os.hostname()}-${randomBytes(3).toString("hex")}`,
    internalUrl: (env.PODSPACE_INTERNAL_URL ?? `http://${internalAddress()}:${env.PORT}`).replace(/\/$/, ""),
  });
}

/** HOST when it names one interface; otherwise the first external IPv4 address (the pod IP in Kubernetes). */
function internalAddress(): string {
  if (env.HOST === "localhost") return "127.0.0.1";
  if (env.HOST && !["0.0.0.0", "::"].includes(env.HOST)) return env.HOST;
  for (const addresses of Object.values(os.networkInterfaces())) {
    const external = addresses?.find((address) => address.family === "IPv4" && !address.internal);
    if (external) return external.address;
  }
  return "127.0.0.1";
}
