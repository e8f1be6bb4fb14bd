import dns from "node:dns";

/**
 * Resolves every name under .localhost to the loopback, as RFC 6761 §6.3
 * asks of resolvers and as browsers and systemd-resolved do, but glibc
 * without nss-myhostname doesn't. Without it the server couldn't reach its
 * own bundled identity provider when PODSPACE_URL is a .localhost name, such
 * as http://podspace.localhost:3000 for trying the wildcard-host IDE mode
 * on one machine (*.ide.podspace.localhost). Node's http and fetch both look
 * names up through dns.lookup; other names are left to it untouched.
 */
export function resolveLocalhostNames(): void {
  const lookup = dns.lookup;
  const patched = function (this: unknown, hostname: string, ...rest: unknown[]) {
    const name = /\.localhost\.?$/i.test(hostname) ? "localhost" : hostname;
    return Reflect.apply(lookup, this, [name, ...rest]) as unknown;
  };
  dns.lookup = patched as typeof dns.lookup;
}
