import type { KubeConfig } from "@kubernetes/client-node";
import { afterAll, beforeAll } from "vitest";
import { startControlPlane, type ControlPlane } from "./control-plane";
import { schemaValidator, type SchemaValidator } from "./openapi";

export interface ControlPlaneContext {
  cp: ControlPlane;
  kc: KubeConfig;
  /** The apiserver's own OpenAPI schema, strict about unknown fields. */
  schema: SchemaValidator;
}

/**
 * Registers a real control plane for the enclosing describe block (or
 * file): started before its tests, stopped after. The returned object is
 * filled in before the block's own beforeAll hooks run.
 */
export function useControlPlane(): ControlPlaneContext {
  const context = {} as ControlPlaneContext;
  beforeAll(async () => {
    context.cp = await startControlPlane();
    context.kc = context.cp.kubeConfig();
    context.schema = await schemaValidator(context.kc);
  }, 120_000);
  afterAll(async () => {
    await context.cp?.stop();
  }, 60_000);
  return context;
}
