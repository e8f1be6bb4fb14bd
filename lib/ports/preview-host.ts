import { env } from "@/lib/env";
import { createWildcardHost, MAX_LABEL_LENGTH } from "@/lib/server/wildcard-host";

// Preview URLs (PODSPACE_PREVIEW_HOST=*.preview.example.com, else
// *.preview.<Podspace's host>): each port a workspace listens on gets an
// origin of its own, p<port>-<workspace id>.preview.example.com, apart from
// Podspace's and the IDE's, so an app in a workspace can't script either, or
// another port's pages. A workspace id (a cuid, 25 characters) and a port (at
// most 5 digits) make a label of at most 32 characters, well under DNS's 63.

/** p<port>-<workspace id>; the id as cuid() makes it, lowercase letters and digits. */
const PORT_LABEL = /^p([1-9][0-9]{0,4})-([a-z0-9]+)$/;

export interface PortAddress {
  workspaceId: string;
  port: number;
}

export interface PreviewHost {
  /** The domain under the wildcard, e.g. preview.example.com. */
  domain: string;
  /** The workspace and port a request's Host header names, or null when it names none. */
  addressOf(hostHeader: string | undefined): PortAddress | null;
  /** The origin of a workspace's port, with PODSPACE_URL's scheme and port. */
  originOf(address: PortAddress): string;
}

/** Where on Podspace's origin a browser opens a workspace's port at `path` (lib/ports/port-proxy.ts signs it in there). */
export const portOpenPath = ({ workspaceId, port }: PortAddress, path = "/") => `/w/${workspaceId}/ports/${port}${path}`;

export const isPort = (port: number) => Number.isInteger(port) && port >= 1 && port <= 65_535;

export function createPreviewHost(pattern: string, podspaceUrl: string): PreviewHost {
  const host = createWildcardHost(pattern, podspaceUrl);
  return {
    domain: host.domain,
    addressOf(hostHeader) {
      const match = PORT_LABEL.exec(host.labelOf(hostHeader) ?? "");
      if (!match) return null;
      const port = Number(match[1]);
      return isPort(port) ? { port, workspaceId: match[2]! } : null;
    },
    originOf({ workspaceId, port }) {
      const label = `p${port}-${workspaceId}`;
      if (!isPort(port) || !PORT_LABEL.test(label) || label.length > MAX_LABEL_LENGTH) throw new Error(`no preview origin for port ${port} of workspace ${workspaceId}`);
      return host.originOf(label);
    },
  };
}

let configured: PreviewHost | null | undefined;

/** PODSPACE_PREVIEW_HOST's preview host; null when preview URLs are turned off. */
export function previewHost(): PreviewHost | null {
  if (configured === undefined) configured = env.PODSPACE_PREVIEW_HOST === null ? null : createPreviewHost(env.PODSPACE_PREVIEW_HOST, env.PODSPACE_URL);
  return configured;
}

/** What sharing a port, or a link to it, is refused with when preview URLs are off. */
export const PREVIEW_URLS_OFF = "Preview URLs are turned off on this Podspace: reach a port with podspace port-forward.";
