import http from "node:http";

/** One GET of `urlPath` over the Unix socket; true on a 2xx answer within a second. */
export function isHealthy(socketPath: string, urlPath: string): Promise<boolean> {
  return new Promise((resolve) => {
    const request = http.get({ socketPath, path: urlPath, timeout: 1_000 }, (response) => {
      response.resume();
      resolve(response.statusCode !== undefined && response.statusCode >= 200 && response.statusCode < 300);
    });
    request.once("timeout", () => request.destroy());
    request.once("error", () => resolve(false));
  });
}

/** Polls until `urlPath` answers 2xx; false on timeout or as soon as `givingUp()` says the server is gone. */
export async function waitForHealthy(socketPath: string, urlPath: string, options: { timeoutMs: number; givingUp: () => boolean }): Promise<boolean> {
  const deadline = Date.now() + options.timeoutMs;
  while (Date.now() < deadline && !options.givingUp()) {
    if (await isHealthy(socketPath, urlPath)) return true;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return false;
}
