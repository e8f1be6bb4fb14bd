// Validates objects against the apiserver's own OpenAPI v2 schema, made
// strict: 1.20 drops unknown fields silently, so a misspelt field would
// otherwise pass a dry run unnoticed.
import https from "node:https";
import Ajv, { type ErrorObject } from "ajv";
import type { KubeConfig, KubernetesObject } from "@kubernetes/client-node";

type Definitions = Record<string, Record<string, unknown>>;

export interface SchemaValidator {
  /** The schema errors for `object` (as JSON on the wire), empty when it is valid. */
  errors(object: unknown): ErrorObject[];
  /** The definition name for an apiVersion and kind, e.g. io.k8s.api.apps.v1.Deployment. */
  definitionOf(object: KubernetesObject): string;
}

export async function schemaValidator(kc: KubeConfig): Promise<SchemaValidator> {
  const definitions = await fetchOpenApi(kc);
  // Not strict: the apiserver's schema carries its own x-kubernetes-* keywords.
  const ajv = new Ajv({ allErrors: true, strict: false });
  for (const format of ["double", "byte", "int-or-string"]) ajv.addFormat(format, true);
  ajv.addFormat("int32", { type: "number", validate: (n) => Number.isInteger(n) && Math.abs(n) < 2 ** 31 });
  ajv.addFormat("int64", { type: "number", validate: (n) => Number.isSafeInteger(n) });
  ajv.addSchema({ definitions: strictDefinitions(definitions) }, "k8s");
  const byGroupVersionKind = new Map<string, string>();
  for (const [name, schema] of Object.entries(definitions)) {
    const gvks = (schema["x-kubernetes-group-version-kind"] ?? []) as { group: string; version: string; kind: string }[];
    for (const { group, version, kind } of gvks) byGroupVersionKind.set(`${group ? `${group}/` : ""}${version}/${kind}`, name);
  }
  const definitionOf = (object: KubernetesObject) => {
    const name = byGroupVersionKind.get(`${object.apiVersion}/${object.kind}`);
    if (!name) throw new Error(`the apiserver serves no ${object.apiVersion} ${object.kind}`);
    return name;
  };
  return {
    definitionOf,
    errors(object) {
      const validate = ajv.compile({ $ref: `k8s#/definitions/${definitionOf(object as KubernetesObject)}` });
      return validate(object) ? [] : (validate.errors ?? []);
    },
  };
}

async function fetchOpenApi(kc: KubeConfig): Promise<Definitions> {
  // The kubeconfig's credentials and TLS settings, as client-node applies them.
  const request: https.RequestOptions = { headers: { accept: "application/json" } };
  await kc.applyToHTTPSOptions(request);
  const text = await new Promise<string>((resolve, reject) => {
    https
      .get(`${kc.getCurrentCluster()!.server}/openapi/v2`, request, (response) => {
        let body = "";
        response.setEncoding("utf8");
        response.on("data", (chunk: string) => (body += chunk));
        response.on("end", () => (response.statusCode === 200 ? resolve(body) : reject(new Error(`HTTP ${response.statusCode}`))));
      })
      .on("error", reject);
  });
  return (JSON.parse(text) as { definitions: Definitions }).definitions;
}

/**
 * The apiserver's definitions, made strict: an object schema with
 * properties admits no others, and IntOrString (a "string" with format
 * int-or-string in OpenAPI v2) takes either.
 */
function strictDefinitions(definitions: Definitions): Definitions {
  const strict: Definitions = {};
  for (const [name, schema] of Object.entries(definitions)) {
    strict[name] = schema.properties && schema.additionalProperties === undefined ? { ...schema, additionalProperties: false } : schema;
  }
  strict["io.k8s.apimachinery.pkg.util.intstr.IntOrString"] = { anyOf: [{ type: "string" }, { type: "integer" }] };
  return strict;
}
