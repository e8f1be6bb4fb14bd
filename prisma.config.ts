import { defineConfig } from "prisma/config";

// Only the CLI reads this file. The app connects through driver adapters
// (lib/db/client.ts) and applies migrations with its own migrator.
export default defineConfig({
  schema: "prisma/schema.prisma",
  migrations: { path: "prisma/migrations" },
  datasource: { url: process.env.DATABASE_URL ?? "postgresql://localhost/podspace" },
});
