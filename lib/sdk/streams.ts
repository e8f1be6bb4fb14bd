// Readers for the API's two streaming answers: newline-delimited JSON
// (?wait=ready) and Server-Sent Events (/events), over a fetch body.

/** The body's lines, as they arrive, without their line ends; a last line without one too. */
export async function* lines(body: ReadableStream<Uint8Array>): AsyncGenerator<string, void, undefined> {
  const decoder = new TextDecoder();
  let buffered = "";
  // A reader, not for await: the DOM's ReadableStream type has no async iterator.
  const reader = body.getReader();
  try {
    for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) {
      buffered += decoder.decode(chunk.value, { stream: true });
      let end: number;
      while ((end = buffered.indexOf("\n")) >= 0) {
        yield buffered.slice(0, end).replace(/\r$/, "");
        buffered = buffered.slice(end + 1);
      }
    }
  } finally {
    // A consumer that stops early (break) closes the connection rather than leaving it open.
    await reader.cancel().catch(() => undefined);
  }
  buffered += decoder.decode();
  if (buffered !== "") yield buffered;
}

export interface ServerSentEvent {
  event: string;
  data: string;
  /** The id field, when the message had one. */
  id?: string;
}

/** The messages of a text/event-stream body, per the HTML standard's parsing rules; comments and retry fields are skipped. */
export async function* serverSentEvents(body: ReadableStream<Uint8Array>): AsyncGenerator<ServerSentEvent, void, undefined> {
  let event = "";
  let data: string[] = [];
  let id: string | undefined;
  for await (const line of lines(body)) {
    if (line === "") {
      if (data.length > 0) yield { event: event || "message", data: data.join("\n"), ...(id === undefined ? {} : { id }) };
      event = "";
      data = [];
      id = undefined;
      continue;
    }
    if (line.startsWith(":")) continue;
    const colon = line.indexOf(":");
    const field = colon < 0 ? line : line.slice(0, colon);
    const value = colon < 0 ? "" : line.slice(colon + 1).replace(/^ /, "");
    if (field === "event") event = value;
    else if (field === "data") data.push(value);
    else if (field === "id") id = value;
  }
}
