import { env } from "@/lib/env";
import { createWildcardHost } from "@/lib/server/wildcard-host";

// The wildcard-host IDE mode, the default (PODSPACE_IDE_HOST=*.ide.example.com,
// else *.ide.<Podspace's host>): each workspace's IDE on an origin of its
// own, <workspace id>.ide.example.com, as Coder serves apps on a wildcard host. Code running in one workspace's
// IDE (extensions, webviews, a page the user previews) then can't script
// Podspace's pages or another workspace's IDE, which the same-origin mode
// under /w/<id>/ide/ can't promise. The price is a wildcard DNS record and
// certificate, and a sign-in handoff per origin (lib/ide/handoff.ts).

/** A workspace id as it may appear in a host name: what cuid() makes, lowercase letters and digits. */
const WORKSPACE_LABEL = /^[a-z0-9]{1,63}$/;

export interface IdeHost {
  /** The domain under the wildcard, e.g. ide.example.com. */
  domain: string;
  /** The workspace whose IDE a request's Host header names, or null when it names none. */
  workspaceIdOf(hostHeader: string | undefined): string | null;
  /** The IDE's origin for a workspace, with PODSPACE_URL's scheme and port. */
  originOf(workspaceId: string): string;
}

export function createIdeHost(pattern: string, podspaceUrl: string): IdeHost {
  const host = createWildcardHost(pattern, podspaceUrl);
  return {
    domain: host.domain,
    workspaceIdOf(hostHeader) {
      const label = host.labelOf(hostHeader);
      return label && WORKSPACE_LABEL.test(label) ? label : null;
    },
    originOf: host.originOf,
  };
}

let configured: IdeHost | null | undefined;

/** The wildcard-host mode's settings, or null in the same-origin mode (PODSPACE_IDE_HOST=same-origin). */
export function ideHost(): IdeHost | null {
  if (configured === undefined) configured = env.PODSPACE_IDE_HOST ? createIdeHost(env.PODSPACE_IDE_HOST, env.PODSPACE_URL) : null;
  return configured;
}
