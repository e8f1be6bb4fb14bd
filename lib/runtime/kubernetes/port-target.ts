import net from "node:net";
import { Duplex, PassThrough, Writable } from "node:stream";
import { PortForward, type KubeConfig } from "@kubernetes/client-node";
import type WebSocket from "ws";
import { RuntimeError, type PortTarget } from "../types";
import { socketErrorMessage } from "./errors";
import type { WorkspaceRef } from "./names";

// How the reverse proxy reaches a port in a workspace pod. Inside the
// cluster, straight over the pod network (the team namespace's
// NetworkPolicy admits Podspace's namespace): the IDE through the
// workspace's Service, any other port (preview URLs) at the pod's IP, as the
// Service carries the IDE's port only. Outside it (development, or Podspace
// running elsewhere), through a port-forward via the apiserver, one per
// connection.

export function serviceTarget(ref: WorkspaceRef, port: number): PortTarget {
  const host = `${ref.service}.${ref.namespace}.svc`;
  return socketTarget(host, port, `service ${host} port ${port}`);
}

export function podIpTarget(ref: WorkspaceRef, podIp: string, port: number): PortTarget {
  return socketTarget(podIp, port, `pod ${ref.namespace}/${ref.pod} at ${podIp} port ${port}`);
}

function socketTarget(host: string, port: number, describe: string): PortTarget {
  return {
    describe,
    connect: () =>
      new Promise((resolve, reject) => {
        const socket = net.connect({ host, port });
        socket.once("connect", () => {
          socket.off("error", fail);
          resolve(socket);
        });
        const fail = (error: NodeJS.ErrnoException) => {
          if (error.code === "ECONNREFUSED") reject(new RuntimeError("not-listening", `Nothing is listening on ${describe}`, { cause: error }));
          else reject(new RuntimeError("unavailable", `Could not reach ${describe}: ${error.code ?? error.message}`, { cause: error }));
        };
        socket.once("error", fail);
      }),
  };
}

export function portForwardTarget(kubeConfig: KubeConfig, ref: WorkspaceRef, port: number): PortTarget {
  const describe = `pod ${ref.namespace}/${ref.pod} port ${port}`;
  return { describe, connect: () => forward(kubeConfig, ref, port, describe) };
}

async function forward(kubeConfig: KubeConfig, ref: WorkspaceRef, port: number, describe: string): Promise<Duplex> {
  let socket: WebSocket | undefined;
  /** Bytes for the IDE; client-node sends whatever is written here. */
  const toPod = new PassThrough();
  const stream = new Duplex({
    read: () => socket?.resume(),
    write: (chunk, _encoding, callback) => void toPod.write(chunk, callback),
    // Ending our side ends the forward (client-node closes the socket, or
    // half-closes it where the apiserver speaks v5.channel.k8s.io).
    final: (callback) => {
      toPod.end();
      callback();
    },
    destroy: (error, callback) => {
      socket?.close();
      callback(error);
    },
  });
  const fromPod = new Writable({
    write: (chunk: Buffer, _encoding, callback) => {
      // The proxy's reader is behind: stop reading the socket until it asks for more.
      if (!stream.push(chunk)) socket?.pause();
      callback();
    },
  });
  const errors = new Writable({
    write: (chunk: Buffer, _encoding, callback) => {
      // The error channel opens with the port number, which client-node strips, leaving an empty chunk.
      if (chunk.length > 0) stream.destroy(forwardError(describe, chunk.toString("utf8").trim()));
      callback();
    },
  });
  try {
    socket = (await new PortForward(kubeConfig).portForward(ref.namespace, ref.pod, [port], fromPod, errors, toPod)) as WebSocket;
  } catch (error) {
    throw new RuntimeError("unavailable", `Could not reach ${describe}: ${socketErrorMessage(error)}`, { cause: error });
  }
  // The proxy may have given up while the socket was opening.
  if (stream.destroyed) socket.close();
  socket.on("close", () => stream.push(null));
  socket.on("error", (error) => stream.destroy(error));
  return stream;
}

/**
 * What the kubelet said on a forward's error channel. It connects to the
 * port only once the forward is open, so a port nothing listens on shows
 * here, as the kernel's "connection refused" in the kubelet's words.
 */
function forwardError(describe: string, message: string): Error {
  if (/connection refused/i.test(message)) return new RuntimeError("not-listening", `Nothing is listening on ${describe}`);
  return new Error(`Port-forward to ${describe} failed: ${message}`);
}
