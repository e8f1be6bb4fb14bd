import type { NextConfig } from "next";

const nextConfig: NextConfig = {
  // These load native addons or WebAssembly from their own package folders,
  // and server.ts loads them too: bundling them would break the former and
  // duplicate the latter.
  serverExternalPackages: ["@electric-sql/pglite", "pglite-prisma-adapter", "@prisma/adapter-pg", "pg", "node-pty", "ws"],
  poweredByHeader: false,
};

export default nextConfig;
