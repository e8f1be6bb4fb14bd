import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { EnvError, parseEnv, redact } from "./env";

const problemsOf = (source: Record<string, string | undefined>) => {
  try {
    parseEnv(source);
  } catch (error) {
    if (error instanceof EnvError) return error.problems;
    throw error;
  }
  return [];
};

describe("parseEnv", () => {
  it("fills in the embedded defaults", () => {
    const env = parseEnv({});
    expect(env).toMatchObject({ NODE_ENV: "development", PORT: 3000, PODSPACE_DB_POOL_SIZE: 10, PODSPACE_DB_BACKGROUND_POOL_SIZE: 5 });
    expect(env.DATABASE_URL).toBeUndefined();
    expect(env.PODSPACE_DATA_DIR).toMatch(/\/\.data$/);
  });

  it("accepts a PostgreSQL URL and a port", () => {
    const env = parseEnv({ DATABASE_URL: "postgres://u:p@db:5432/podspace", PORT: "8080" });
    expect(env.DATABASE_URL).toBe("postgres://u:p@db:5432/podspace");
    expect(env.PORT).toBe(8080);
  });

  it("treats empty strings as unset", () => {
    const env = parseEnv({ DATABASE_URL: "", PORT: "" });
    expect(env.DATABASE_URL).toBeUndefined();
    expect(env.PORT).toBe(3000);
  });

  it.each([
    [{ PORT: "http" }, /^PORT: expected an integer from 1 to 65535, got "http"$/],
    [{ PORT: "70000" }, /^PORT: expected an integer from 1 to 65535, got "70000"$/],
    [{ PORT: "3.5" }, /^PORT: expected an integer/],
    [{ DATABASE_URL: "mysql://localhost/db" }, /^DATABASE_URL: expected a postgresql:\/\/.* URL, got "mysql/],
    [{ DATABASE_URL: "not a url" }, /^DATABASE_URL: expected a postgresql:\/\//],
    [{ NODE_ENV: "staging" }, /^NODE_ENV: expected development, production or test, got "staging"$/],
    [{ PODSPACE_DB_POOL_SIZE: "0" }, /^PODSPACE_DB_POOL_SIZE: expected a whole number of connections, at least 1, got "0"$/],
    [{ PODSPACE_DB_BACKGROUND_POOL_SIZE: "two" }, /^PODSPACE_DB_BACKGROUND_POOL_SIZE: expected a whole number of connections, at least 1, got "two"$/],
  ])("names the variable and what it expects for %o", (source, message) => {
    const problems = problemsOf(source);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(message);
  });

  it("reports every problem at once, one line each, without printing passwords", () => {
    const problems = problemsOf({ PORT: "0", DATABASE_URL: "mysql://admin:hunter2@db/x" });
    expect(problems).toHaveLength(2);
    expect(problems.join("\n")).not.toContain("hunter2");
    expect(problems.every((line) => !line.includes("\n"))).toBe(true);
  });
});

describe("production settings", () => {
  const production = { NODE_ENV: "production", PODSPACE_DEMO_IDP: "true" };

  it("requires AUTH_SECRET and a real IdP to serve", () => {
    expect(problemsOf(production)).toEqual([expect.stringMatching(/^AUTH_SECRET: required in production/)]);
    expect(problemsOf({ NODE_ENV: "production", AUTH_SECRET: "x".repeat(32) })).toEqual([
      expect.stringMatching(/^PODSPACE_OIDC_PROVIDERS: required in production/),
    ]);
  });

  it("does not require them while `next build` collects page data", () => {
    expect(problemsOf({ NODE_ENV: "production", NEXT_PHASE: "phase-production-build" })).toEqual([]);
  });
});

describe("redact", () => {
  it("hides only the password", () => {
    expect(redact("postgresql://app:s3cret@db:5432/podspace")).toBe("postgresql://app:***@db:5432/podspace");
    expect(redact("postgresql://db/podspace")).toBe("postgresql://db/podspace");
    expect(redact("plain text")).toBe("plain text");
  });
});

describe("the secret outside production", () => {
  /** What AUTH_SECRET a fresh process loading lib/env ends up with. */
  const secretOfAFreshProcess = (environment: Record<string, string>) =>
    execFileSync(process.execPath, ["--import", "tsx", "-e", 'import("@/lib/env").then(({ env }) => process.stdout.write(env.AUTH_SECRET))'], {
      env: { PATH: process.env.PATH!, NODE_ENV: "development", ...environment },
      encoding: "utf8",
    });

  it("is made at the first start and kept in the data dir, so backups keyed with it stay readable after a restart", () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "podspace-secret-"));
    try {
      const first = secretOfAFreshProcess({ PODSPACE_DATA_DIR: dataDir });
      expect(first.length).toBeGreaterThanOrEqual(32);
      expect(secretOfAFreshProcess({ PODSPACE_DATA_DIR: dataDir })).toBe(first);
      expect(fs.statSync(path.join(dataDir, "auth-secret")).mode & 0o777).toBe(0o600);
      // One that is set wins, and the kept one stays for when it isn't.
      expect(secretOfAFreshProcess({ PODSPACE_DATA_DIR: dataDir, AUTH_SECRET: "s".repeat(32) })).toBe("s".repeat(32));
      expect(fs.readFileSync(path.join(dataDir, "auth-secret"), "utf8").trim()).toBe(first);
    } finally {
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
