import type { MetadataRoute } from "next";

/** Lets browsers install Podspace as an app (its own window, its icon). */
export default function manifest(): MetadataRoute.Manifest {
  return {
    name: "Podspace",
    short_name: "Podspace",
    description: "Self-hosted cloud development environments.",
    start_url: "/workspaces",
    display: "standalone",
    background_color: "#ffffff",
    theme_color: "#4f46e5",
    icons: [
      { src: "/favicon.svg", type: "image/svg+xml", sizes: "any" },
      { src: "/icon-192.png", type: "image/png", sizes: "192x192" },
      { src: "/icon-512.png", type: "image/png", sizes: "512x512" },
    ],
  };
}
