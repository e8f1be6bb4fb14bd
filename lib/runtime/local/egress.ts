// Outbound network for a workspace's sandbox, which has a network namespace
// of its own (sandbox.ts). slirp4netns gives that namespace a TAP device and
// carries its traffic out through ordinary sockets of the host, in user
// space: no bridge, NAT rule or privilege to set up, and nothing left on the
// host once it ends. The internet and the host's other addresses are
// reachable through it; the host's loopback is not (--disable-host-loopback
// closes slirp's gateway to it), so PostgreSQL, Podspace on 127.0.0.1 and
// other workspaces' ports stay out of reach.
//
// Only for Podspace as root. As an ordinary user, bwrap nests a second user
// namespace in the sandbox (it mounts /dev's devpts as root of the first),
// so the sandbox's processes are in one that doesn't own its network
// namespace, and slirp4netns, entering theirs, can't join it (nor can a
// terminal: sandbox.ts). Such workspaces run offline and say so.

/** slirp's DNS forwarder, in its default network (10.0.2.0/24): the sandbox's resolv.conf names it. */
export const SANDBOX_DNS = "10.0.2.3";

/** Why an ordinary user's workspaces have no outbound network (above). */
export const EGRESS_NEEDS_ROOT =
  "as an ordinary user, Podspace can't attach slirp4netns to a workspace's sandbox (bwrap nests a second user namespace in it); run Podspace as root for workspaces with outbound network";

/** The sandbox's interface to slirp4netns. */
export const EGRESS_INTERFACE = "tap0";

/**
 * slirp4netns's argv up to the sandbox's pid. It writes "1" to `readyFd` once
 * the interface is up. It runs as root, so it confines itself: a mount
 * namespace of its own with every capability dropped but binding low ports
 * (--enable-sandbox), and a syscall filter (--enable-seccomp).
 */
export function egressCommand(readyFd: number): string[] {
  return [
    "slirp4netns",
    "--configure",
    // The largest slirp4netns takes: fewer, bigger packets through user space.
    "--mtu=65520",
    "--disable-host-loopback",
    "--enable-sandbox",
    "--enable-seccomp",
    `--ready-fd=${readyFd}`,
  ];
}
