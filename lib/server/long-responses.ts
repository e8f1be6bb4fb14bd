// Responses that stay open (a workspace's event stream, a create waiting
// until ready) end when the server shuts down, so that they don't hold up
// its drain until the deadline: their clients reconnect to another replica.
// One may open while the server drains (a browser reconnecting over a
// kept-alive connection): it ends at once, having said what it can.

const RESPONSES = Symbol.for("podspace.long-responses");
const store = globalThis as { [RESPONSES]?: { open: Set<AbortController>; ending: boolean } };

function registry() {
  if (!store[RESPONSES]) {
    const responses = { open: new Set<AbortController>(), ending: false };
    store[RESPONSES] = responses;
    const endAll = () => {
      responses.ending = true;
      responses.open.forEach((response) => response.abort());
    };
    process.once("SIGTERM", endAll);
    process.once("SIGINT", endAll);
  }
  return store[RESPONSES];
}

/** Aborts `stop` when the server shuts down (at once if it already is); returns the function that forgets it. */
export function endOnShutdown(stop: AbortController): () => void {
  const responses = registry();
  if (responses.ending) stop.abort();
  else responses.open.add(stop);
  return () => responses.open.delete(stop);
}
