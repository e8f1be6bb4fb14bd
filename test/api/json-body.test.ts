import { describe, expect, it } from "vitest";
import { readJsonBody } from "@/lib/api/json-body";

// The API's JSON bodies: parsed when within the limit, refused with 413 as
// soon as they are past it, whether their Content-Length says so or only
// their bytes (a chunked upload), without reading the rest.

const post = (body: BodyInit, headers: Record<string, string> = {}) =>
  new Request("http://podspace.test/api/v1/x", { method: "POST", body, headers, duplex: "half" } as RequestInit);

describe("readJsonBody", () => {
  it("parses a body within the limit, an empty one as {}, and says when it isn't JSON", async () => {
    expect(await readJsonBody(post('{"a":[1,2]}'), 64)).toEqual({ a: [1, 2] });
    expect(await readJsonBody(post(""), 64)).toEqual({});
    await expect(readJsonBody(post("{nope"), 64)).rejects.toMatchObject({ code: "invalid", message: "The request body is not valid JSON." });
  });

  it("refuses a body over the limit with too_large, from its Content-Length or, chunked, from its bytes, and stops reading it", async () => {
    await expect(readJsonBody(post("x".repeat(2000)), 1024)).rejects.toMatchObject({ code: "too_large", message: "The request body is larger than 1 KiB." });
    let pulled = 0;
    let cancelled = false;
    const endless = new ReadableStream<Uint8Array>({
      pull(controller) {
        pulled++;
        controller.enqueue(new Uint8Array(16 * 1024));
      },
      cancel() {
        cancelled = true;
      },
    });
    await expect(readJsonBody(post(endless), 64 * 1024)).rejects.toMatchObject({ code: "too_large", message: "The request body is larger than 64 KiB." });
    expect(cancelled).toBe(true);
    expect(pulled).toBeLessThan(10);
  });
});
