import type { Metadata } from "next";
import { headers } from "next/headers";

import { ThemeProvider } from "@/components/shell/theme-provider";
import { Toaster } from "@/components/ui/toast";

import "./globals.css";

export const metadata: Metadata = {
  title: {
    template: "%s · Podspace",
    default: "Podspace",
  },
  description: "Self-hosted cloud development environments.",
  icons: {
    icon: { url: "/favicon.svg", type: "image/svg+xml" },
    // Full-bleed: iOS rounds the corners itself.
    apple: { url: "/apple-touch-icon.png", sizes: "180x180" },
  },
};

export default async function RootLayout({ children }: Readonly<{ children: React.ReactNode }>) {
  // The page CSP's nonce (lib/server/security-headers.ts), for next-themes' inline script. Reading
  // it renders every page per request, which nonces need: a prerendered page's scripts have none.
  const nonce = (await headers()).get("x-nonce") ?? undefined;
  return (
    // next-themes sets the theme class on <html> before hydration, so React must not flag the diff.
    <html lang="en" suppressHydrationWarning>
      <body>
        {/* The inline script that applies the theme before paint is not hydrated on the client. */}
        <ThemeProvider nonce={nonce} attribute="class" defaultTheme="system" enableSystem disableTransitionOnChange scriptProps={{ suppressHydrationWarning: true }}>
          {children}
          <Toaster />
        </ThemeProvider>
      </body>
    </html>
  );
}
