// JavaScript, not TypeScript: for a next.config.ts the production server loads
// SWC's native binding (with its thread pool) just to compile this file, ~25 MB
// of its resident memory.

/** @type {import("next").NextConfig} */
const nextConfig = {
  // These load native addons or WebAssembly from their own package folders,
  // and server.ts loads them too: bundling them would break the former and
  // duplicate the latter.
  serverExternalPackages: ["@electric-sql/pglite", "pglite-prisma-adapter", "@prisma/adapter-pg", "pg", "node-pty", "ws"],
  poweredByHeader: false,
};

export default nextConfig;
