// The node's pod network, as a bridge CNI plugin builds it: a Linux bridge
// on the host owning the first address of a /24 (the pods' gateway), and per
// pod a veth pair whose host end is a port of the bridge and whose other
// end is the pod's eth0, with the next free address of the /24 and a default
// route through the gateway. Pods on the bridge reach each other directly
// and the host through the gateway; nothing routes further (the host's
// ip_forward is left as it is), and other agents' pods sit on other bridges.
//
// Each agent claims the first free bridge name psbr<N> (creating a link is
// atomic, so agents in parallel test workers, or CI's, never share one) and
// takes 10.244.<N>.0/24. The network is IPv4 only: IPv6 is disabled on each
// pod's eth0 before it comes up, so no link-local address gives pods a path
// around the IPv4 NetworkPolicy rules.
import { tool, run } from "./host-tools";
import type { OrphanGuard } from "./orphan-guard";

const IP = tool("ip");
const NSENTER = tool("nsenter");

export interface PodNetwork {
  /** The bridge's name, which also names what else belongs to this network. */
  bridge: string;
  /** 10.244.<N>.0/24 */
  cidr: string;
  /** Gives the namespace of process `sandboxPid` an eth0 on the bridge. */
  attach(sandboxPid: number): Promise<PodLink>;
  /** Deletes the bridge (every pod must have been detached). */
  stop(): Promise<void>;
}

export interface PodLink {
  ip: string;
  /** Deletes the veth pair and frees the address. */
  detach(): Promise<void>;
}

const MAX_NETWORKS = 255;

export async function startPodNetwork(guard: OrphanGuard): Promise<PodNetwork> {
  const { bridge, index } = await claimBridge();
  const deleteBridge = [IP, "link", "del", bridge];
  guard.addTeardown(deleteBridge);
  const prefix = `10.244.${index}`;
  const gateway = `${prefix}.1`;
  await run([IP, "-batch", "-"], `addr add ${gateway}/24 dev ${bridge}\nlink set ${bridge} up\n`);

  const inUse = new Set<number>();
  // Round-robin over .2–.254, so an address just freed is the last to be
  // reused: the pod that had it may linger in the API while it terminates.
  let last = 1;
  const allocate = (): number => {
    for (let step = 1; step <= 253; step++) {
      const host = ((last - 2 + step) % 253) + 2;
      if (!inUse.has(host)) {
        inUse.add(host);
        last = host;
        return host;
      }
    }
    throw new Error(`no free address left in ${prefix}.0/24`);
  };

  return {
    bridge,
    cidr: `${prefix}.0/24`,
    async attach(sandboxPid) {
      const host = allocate();
      const ip = `${prefix}.${host}`;
      const veth = `${bridge}v${host}`; // at most 13 characters, under the kernel's 15
      const deleteVeth = [IP, "link", "del", veth];
      guard.addTeardown(deleteVeth);
      const detach = async () => {
        // Deleting either end deletes the pair; it is already gone if the namespace was.
        await run(deleteVeth).catch(() => {});
        guard.removeTeardown(deleteVeth);
        inUse.delete(host);
      };
      try {
        await run(
          [IP, "-batch", "-"],
          `link add ${veth} type veth peer name eth0 netns ${sandboxPid}\nlink set ${veth} master ${bridge} up\n`,
        );
        const inPod = [
          // /proc/sys/net is the writer's namespace's: this is the pod's eth0.
          "echo 1 > /proc/sys/net/ipv6/conf/eth0/disable_ipv6",
          `${IP} addr add ${ip}/24 dev eth0`,
          `${IP} link set eth0 up`,
          `${IP} route add default via ${gateway}`,
        ];
        await run([NSENTER, `--net=/proc/${sandboxPid}/ns/net`, "--", "sh", "-ec", inPod.join("\n")]);
      } catch (error) {
        await detach();
        throw error;
      }
      return { ip, detach };
    },
    async stop() {
      await run(deleteBridge);
      guard.removeTeardown(deleteBridge);
    },
  };
}

async function claimBridge(): Promise<{ bridge: string; index: number }> {
  for (let index = 0; index < MAX_NETWORKS; index++) {
    const bridge = `psbr${index}`;
    try {
      await run([IP, "link", "add", bridge, "type", "bridge"]);
      return { bridge, index };
    } catch (error) {
      if (!/File exists/.test((error as Error).message)) throw error;
    }
  }
  throw new Error(`every pod network bridge psbr0–psbr${MAX_NETWORKS - 1} is taken`);
}
