import http from "node:http";

/** One GET; true on a 2xx answer within a second. */
export function isHealthy(url: string): Promise<boolean> {
  return new Promise((resolve) => {
    const request = http.get(url, { timeout: 1_000 }, (response) => {
      response.resume();
      resolve(response.statusCode !== undefined && response.statusCode >= 200 && response.statusCode < 300);
    });
    request.once("timeout", () => request.destroy());
    request.once("error", () => resolve(false));
  });
}

/** Polls until the URL answers 2xx; false on timeout or as soon as `givingUp()` says the server is gone. */
export async function waitForHealthy(url: string, options: { timeoutMs: number; givingUp: () => boolean }): Promise<boolean> {
  const deadline = Date.now() + options.timeoutMs;
  while (Date.now() < deadline && !options.givingUp()) {
    if (await isHealthy(url)) return true;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return false;
}
