// The image's invariants, read from Dockerfile and .dockerignore with
// Docker-compatible parsers (dockerfile-ast, @balena/dockerignore). There is
// no Docker engine where the tests run, so the image itself is not built here.
import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import dockerignore from "@balena/dockerignore";
import { DockerfileParser, type Copy, type Env, type From, type Instruction } from "dockerfile-ast";

const ROOT = path.resolve(import.meta.dirname, "../..");
const dockerfile = DockerfileParser.parse(fs.readFileSync(path.join(ROOT, "Dockerfile"), "utf8"));
const ignored = dockerignore({ ignorecase: false }).add(fs.readFileSync(path.join(ROOT, ".dockerignore"), "utf8").split("\n"));

interface Stage {
  from: From;
  instructions: Instruction[];
}

/** The instructions of each stage, in order. */
function stages(): Stage[] {
  const result: Stage[] = [];
  for (const instruction of dockerfile.getInstructions()) {
    if (instruction.getKeyword() === "FROM") result.push({ from: instruction as From, instructions: [] });
    else result.at(-1)!.instructions.push(instruction);
  }
  return result;
}

const keyword = (stage: Stage, name: string) => stage.instructions.filter((instruction) => instruction.getKeyword() === name);
const text = (instruction: Instruction) => instruction.getArgumentsContent() ?? "";
const envOf = (stage: Stage) =>
  Object.fromEntries(keyword(stage, "ENV").flatMap((env) => (env as Env).getProperties().map((property) => [property.getName(), property.getValue()])));

describe("Dockerfile", () => {
  const all = stages();
  const build = all[0]!;
  const runtime = all.at(-1)!;

  it("builds in one stage and runs from a second, both on node:24-slim", () => {
    expect(all.map((stage) => `${stage.from.getImageName()}:${stage.from.getImageTag()}`)).toEqual(["node:24-slim", "node:24-slim"]);
    expect(build.from.getBuildStage()).toBe("build");
    expect(keyword(build, "RUN").map(text).join("\n")).toMatch(/npx next build/);
    // What the runtime stage copies from the build stage holds production dependencies only.
    expect(keyword(build, "RUN").map(text).join("\n")).toMatch(/npm prune --omit=dev/);
  });

  it("runs the server with tsx in production mode as the unprivileged node user", () => {
    const users = keyword(runtime, "USER").map(text);
    expect(users).toEqual(["node"]);
    const userAt = runtime.instructions.findIndex((instruction) => instruction.getKeyword() === "USER");
    // Nothing after USER runs as root, and nothing the server runs is writable by it.
    expect(runtime.instructions.slice(userAt).map((instruction) => instruction.getKeyword())).not.toContain("RUN");
    expect(envOf(runtime)).toMatchObject({ NODE_ENV: "production", PORT: "3000" });
    // npm start's own command, which sets the heap's ceiling.
    expect(keyword(runtime, "CMD").map(text)).toEqual(['["scripts/start.sh"]']);
    expect(JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8")).scripts.start).toBe("scripts/start.sh");
    expect(keyword(runtime, "ENTRYPOINT")).toEqual([]);
  });

  it("copies the runtime stage's files from the build stage only, and no secrets", () => {
    const copies = keyword(runtime, "COPY") as Copy[];
    expect(copies.map((copy) => copy.getFromFlag()?.getValue())).toEqual(copies.map(() => "build"));
    const copied = copies.flatMap((copy) => copy.getArguments().slice(0, -1).map((argument) => argument.getValue()));
    expect(copied).toEqual(expect.arrayContaining(["/app/scripts/start.sh", "/app/node_modules", "/app/.next", "/app/lib", "/app/prisma", "/app/k8s/templates"]));
    for (const source of copied) expect(source).not.toMatch(/\.env|\.pem$|\.key$|\.npmrc$|secret/i);
    // No secret is baked in through build arguments or the environment.
    for (const stage of all) {
      expect(keyword(stage, "ARG")).toEqual([]);
      for (const name of Object.keys(envOf(stage))) expect(name).not.toMatch(/SECRET|PASSWORD|TOKEN|DATABASE_URL/);
    }
  });

  it("checks its health on /api/health", () => {
    expect(keyword(runtime, "HEALTHCHECK").map(text).join("")).toMatch(/\/api\/health/);
  });
});

describe(".dockerignore", () => {
  it("keeps secrets, local state, dependencies and build output out of the build context", () => {
    for (const file of [".env", ".env.local", ".env.production", "certs/tls.key", "node_modules/next/package.json", ".next/BUILD_ID", ".data/db/PG_VERSION", ".git/HEAD", "lib/generated/prisma/client.ts"]) {
      expect({ file, ignored: ignored.ignores(file) }).toEqual({ file, ignored: true });
    }
  });

  it("keeps what the build needs", () => {
    for (const file of ["package.json", "package-lock.json", ".npmrc", "server.ts", "lib/env.ts", "app/layout.tsx", "prisma/schema.prisma", "scripts/prisma-generate.mjs", "scripts/start.sh", "k8s/templates/python.yaml", ".env.example"]) {
      expect({ file, ignored: ignored.ignores(file) }).toEqual({ file, ignored: false });
    }
  });
});
