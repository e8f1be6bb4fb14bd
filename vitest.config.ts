import path from "node:path";
import { defineConfig } from "vitest/config";

const alias = { "@": path.resolve(import.meta.dirname) };

export default defineConfig({
  resolve: { alias },
  test: {
    env: { NODE_ENV: "test" },
    projects: [
      {
        resolve: { alias },
        test: {
          name: "unit",
          include: ["lib/**/*.test.ts", "test/**/*.test.ts"],
          globalSetup: ["test/helpers/postgres-setup.ts"],
          setupFiles: ["test/helpers/isolated-env.ts"],
          // next-auth's ESM imports "next/server" without an extension, which
          // Node's resolver rejects; Vite's resolves it when next-auth is inlined.
          server: { deps: { inline: ["next-auth"] } },
          testTimeout: 30_000,
          hookTimeout: 60_000,
        },
      },
      {
        resolve: { alias },
        test: {
          name: "e2e",
          include: ["e2e/**/*.test.ts"],
          globalSetup: ["test/helpers/postgres-setup.ts"],
          setupFiles: ["test/helpers/localhost-names-setup.ts"],
          // Each file boots real servers; on two cores they run one file at a time.
          fileParallelism: false,
          // A page's client-side navigation can take seconds on a busy machine; 1 s (the default) is for unit tests.
          expect: { poll: { timeout: 15_000 } },
          testTimeout: 90_000,
          hookTimeout: 120_000,
        },
      },
    ],
  },
});
