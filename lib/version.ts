import packageJson from "@/package.json" with { type: "json" };

/** The Podspace release this process runs (package.json's version). */
export const PODSPACE_VERSION: string = packageJson.version;
