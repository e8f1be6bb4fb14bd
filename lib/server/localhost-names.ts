import dns from "node:dns";

/**
 * Resolves every name under .localhost to the loopback, as RFC 6761 §6.3
 * asks of resolvers and as browsers and systemd-resolved do, but glibc
 * without nss-myhostname doesn't. Without it the server couldn't reach its
 * own bundled identity provider when PODSPACE_URL is a .localhost name, such
 * as http://podspace.localhost:3000 for trying the wildcard-host IDE mode
 * on one machine (*.ide.podspace.localhost). Node's http and fetch both look
 * names up through dns.lookup (Playwright's request API through
 * dns.promises.lookup); other names are left to them untouched.
 */
export function resolveLocalhostNames(): void {
  dns.lookup = toLoopback(dns.lookup);
  dns.promises.lookup = toLoopback(dns.promises.lookup);
}

const loopbackName = (hostname: string) => (/\.localhost\.?$/i.test(hostname) ? "localhost" : hostname);

function toLoopback<F extends (hostname: string, ...rest: never[]) => unknown>(lookup: F): F {
  return function (this: unknown, hostname: string, ...rest: unknown[]) {
    return Reflect.apply(lookup, this, [loopbackName(hostname), ...rest]) as unknown;
  } as unknown as F;
}
