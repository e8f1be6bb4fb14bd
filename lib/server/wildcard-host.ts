// A wildcard host such as *.ide.example.com (PODSPACE_IDE_HOST) or
// *.preview.example.com (PODSPACE_PREVIEW_HOST): one origin per label under
// a domain, with PODSPACE_URL's scheme and port. Each origin is a browser
// origin of its own, so what is served on one can't script another or
// Podspace's pages.

/** A DNS label's limit (RFC 1035 §2.3.4). */
export const MAX_LABEL_LENGTH = 63;

export interface WildcardHost {
  /** The domain under the wildcard, e.g. ide.example.com. */
  domain: string;
  /** The first label of a Host header under the domain (lowercased), or null when it names none. */
  labelOf(hostHeader: string | undefined): string | null;
  /** The origin of `label`, with PODSPACE_URL's scheme and port. */
  originOf(label: string): string;
}

export function createWildcardHost(pattern: string, podspaceUrl: string): WildcardHost {
  const domain = pattern.replace(/^\*\./, "");
  const base = new URL(podspaceUrl);
  const port = base.port ? `:${base.port}` : "";
  return {
    domain,
    labelOf(hostHeader) {
      if (!hostHeader) return null;
      const hostname = hostHeader.toLowerCase().replace(/:\d+$/, "");
      if (!hostname.endsWith(`.${domain}`)) return null;
      const label = hostname.slice(0, -domain.length - 1);
      return label.length <= MAX_LABEL_LENGTH && !label.includes(".") ? label : null;
    },
    originOf: (label) => `${base.protocol}//${label}.${domain}${port}`,
  };
}
