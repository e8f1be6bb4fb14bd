// .env.example is where the README sends operators for every setting: each
// variable lib/env.ts reads is there with what it does, and nothing it names
// is a setting Podspace doesn't read.
import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { envSchema } from "@/lib/env";

const example = fs.readFileSync(path.resolve(import.meta.dirname, "../../.env.example"), "utf8");

/** The variables .env.example sets or shows commented out: `NAME=` at a line's start, after an optional "# ". */
const named = new Set([...example.matchAll(/^(?:# )?([A-Z][A-Z0-9_]*)=/gm)].map((match) => match[1]!));

// Kubernetes sets this one in every pod; an operator never does.
const SET_BY_THE_PLATFORM = ["KUBERNETES_SERVICE_HOST"];
// An AI provider's key: its name is whatever PODSPACE_AI_PROVIDERS says (apiKeyEnv), the example's is ANTHROPIC_KEY.
const NAMED_BY_OTHER_SETTINGS = ["ANTHROPIC_KEY"];

describe(".env.example", () => {
  it("documents every variable lib/env.ts reads", () => {
    const settings = Object.keys(envSchema.shape).filter((name) => !SET_BY_THE_PLATFORM.includes(name));
    expect(settings.filter((name) => !named.has(name))).toEqual([]);
  });

  it("names no variable lib/env.ts doesn't read", () => {
    expect([...named].filter((name) => !(name in envSchema.shape) && !NAMED_BY_OTHER_SETTINGS.includes(name))).toEqual([]);
  });
});
