import { resolveLocalhostNames } from "@/lib/server/localhost-names";

// The servers the end-to-end tests start are at podspace.localhost (the
// default PODSPACE_URL) and their IDEs at *.ide.podspace.localhost, which
// Chromium resolves by itself but this machine's resolver may not: the
// tests' own requests resolve them as the server does.
resolveLocalhostNames();
