// "Pulling" images. Nothing is downloaded: container commands run on the
// host. An image whose registry host ends in .invalid (RFC 2606: never
// resolves) fails to pull, so tests can drive ErrImagePull/ImagePullBackOff;
// every other image pulls instantly.

/** The error the runtime would give for pulling `image`, or undefined when it pulls. */
export function pullError(image: string): string | undefined {
  const host = registryHost(image);
  if (!host?.endsWith(".invalid")) return undefined;
  return (
    `rpc error: code = Unknown desc = failed to pull and unpack image "${image}": ` +
    `failed to resolve reference "${image}": dial tcp: lookup ${host}: no such host`
  );
}

/**
 * The registry host of an image reference, by Docker's rule: the first path
 * component is a host when it has a dot or a port, or is "localhost".
 * "ubuntu" and "podspace/test" have none (Docker Hub).
 */
function registryHost(image: string): string | undefined {
  const slash = image.indexOf("/");
  if (slash < 0) return undefined;
  const first = image.slice(0, slash);
  const isHost = first.includes(".") || first.includes(":") || first === "localhost";
  return isHost ? first.replace(/:\d+$/, "") : undefined;
}
