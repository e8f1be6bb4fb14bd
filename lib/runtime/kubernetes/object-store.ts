import { PatchStrategy, type KubernetesObject, type KubernetesObjectApi } from "@kubernetes/client-node";
import { RuntimeError } from "../types";
import { isConflict, isNotFound, toRuntimeError } from "./errors";
import { specHashOf } from "./manifests";
import { pollUntil } from "./poll";

// Create-or-converge and delete for any kind, so that every driver call can
// be retried: an object that exists already and matches counts as created,
// one that differs is brought in line, and one that is gone counts as deleted.

/** How to bring an existing object that differs from the desired one in line. */
export interface Converge<T extends KubernetesObject> {
  /** The object to PUT over `existing`, or "recreate" for objects that can't change in place (pods). */
  update(existing: T, desired: T): T | "recreate";
  /** Whether `existing` must be replaced even though it was made from the same spec (a pod that has ended). */
  stale?(existing: T): boolean;
}

export interface ObjectStoreOptions {
  /** Called just before Podspace deletes an object it has read, e.g. to tell the watch the deletion is expected. */
  willDelete?(object: KubernetesObject): void;
  /**
   * Resolves true once a watch sees `object` (that uid) gone, false after
   * `timeoutMs`; undefined when no watch covers it, and the store polls.
   */
  untilGone?(object: KubernetesObject, timeoutMs: number): Promise<boolean> | undefined;
}

const MAX_ATTEMPTS = 5;
/** How long to wait for an object being deleted to go: a pod's grace period is 30 s by default. */
const GONE_TIMEOUT_MS = 120_000;

export class ObjectStore {
  constructor(
    private readonly api: KubernetesObjectApi,
    private readonly options: ObjectStoreOptions = {},
  ) {}

  /** Creates `desired`, or converges the object of that name to it; resolves once the API holds it. */
  async ensure<T extends KubernetesObject>(desired: T, converge: Converge<T>): Promise<void> {
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      try {
        await this.api.create(desired);
        return;
      } catch (error) {
        if (!isConflict(error)) throw toRuntimeError(error, `create ${describe(desired)}`);
      }
      const existing = await this.read(desired);
      if (!existing) continue; // deleted between our create and read: create again
      if (existing.metadata?.deletionTimestamp) {
        await this.waitGone(existing);
        continue;
      }
      if (specHashOf(existing) === specHashOf(desired) && !converge.stale?.(existing)) return;
      const update = converge.update(existing, desired);
      if (update === "recreate") {
        await this.deleteExact(existing);
        await this.waitGone(existing);
        continue;
      }
      try {
        await this.api.replace(update);
        return;
      } catch (error) {
        // A conflict means someone changed it since we read it: read it again.
        if (!isConflict(error)) throw toRuntimeError(error, `update ${describe(desired)}`);
      }
    }
    throw new RuntimeError("unavailable", `Could not create ${describe(desired)}: it kept changing while Podspace converged it`);
  }

  /** The object named like `object`, or undefined when there is none. */
  async read<T extends KubernetesObject>(object: T): Promise<T | undefined> {
    try {
      return await this.api.read<T>(header(object));
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw toRuntimeError(error, `read ${describe(object)}`);
    }
  }

  /**
   * Sets the labels `desired` has on the object of its name, in place (a
   * merge patch: the pod stays as it is); one that is gone counts as done.
   */
  async relabel(desired: KubernetesObject): Promise<void> {
    const patch = { ...header(desired), metadata: { ...header(desired).metadata, labels: desired.metadata?.labels ?? {} } };
    try {
      await this.api.patch(patch, undefined, undefined, undefined, undefined, PatchStrategy.MergePatch);
    } catch (error) {
      if (!isNotFound(error)) throw toRuntimeError(error, `relabel ${describe(desired)}`);
    }
  }

  /** Deletes the object of that name, whichever it is; one that is already gone counts as deleted. */
  async remove(object: KubernetesObject): Promise<void> {
    try {
      await this.api.delete(header(object));
    } catch (error) {
      if (!isNotFound(error)) throw toRuntimeError(error, `delete ${describe(object)}`);
    }
  }

  /**
   * Deletes exactly the object that was read (by uid), never a newer one
   * of the same name. Returns false when that one had been replaced already.
   */
  async deleteExact(existing: KubernetesObject): Promise<boolean> {
    const uid = existing.metadata?.uid;
    this.options.willDelete?.(existing);
    try {
      await this.api.delete(header(existing), undefined, undefined, undefined, undefined, undefined, {
        preconditions: { uid },
      });
      return true;
    } catch (error) {
      if (isNotFound(error)) return true;
      if (isConflict(error)) return false;
      throw toRuntimeError(error, `delete ${describe(existing)}`);
    }
  }

  /**
   * Resolves once the object that was read (that uid) no longer exists: told
   * by the watch the moment it goes (a restart right after a stop waits for
   * the old pod), else by polling the API.
   */
  private async waitGone(existing: KubernetesObject): Promise<void> {
    const isGone = async () => (await this.read(existing))?.metadata?.uid !== existing.metadata?.uid;
    const deadline = Date.now() + GONE_TIMEOUT_MS;
    const told = this.options.untilGone?.(existing, GONE_TIMEOUT_MS);
    // A watch can lag the API: one that hasn't seen the object yet holds no such object, which looks like gone.
    // So what it says is confirmed with a read; otherwise (or without a watch) the API is asked until the deadline.
    if (told && (await told) && (await isGone())) return;
    if (await pollUntil(isGone, { timeoutMs: Math.max(0, deadline - Date.now()) })) return;
    throw new RuntimeError("unavailable", `${describe(existing)} is still being deleted; try again in a moment`);
  }
}

function header(object: KubernetesObject) {
  return {
    apiVersion: object.apiVersion,
    kind: object.kind,
    metadata: { name: object.metadata?.name ?? "", namespace: object.metadata?.namespace },
  };
}

/** E.g. "Pod podspace-ml/ws-abc", for messages. */
export function describe(object: KubernetesObject): string {
  const { name, namespace } = object.metadata ?? {};
  return `${object.kind} ${namespace ? `${namespace}/` : ""}${name}`;
}
