/**
 * The last `capacity` bytes written to it: a terminal's scrollback, replayed
 * to a socket that (re)attaches. Memory is allocated once, whatever runs.
 */
export class RingBuffer {
  readonly #data: Buffer;
  /** Where the next byte goes. */
  #end = 0;
  #length = 0;

  constructor(readonly capacity: number) {
    this.#data = Buffer.alloc(capacity);
  }

  get length(): number {
    return this.#length;
  }

  append(chunk: Uint8Array): void {
    const capacity = this.capacity;
    if (chunk.length >= capacity) {
      this.#data.set(chunk.subarray(chunk.length - capacity));
      this.#end = 0;
      this.#length = capacity;
      return;
    }
    const first = Math.min(chunk.length, capacity - this.#end);
    this.#data.set(chunk.subarray(0, first), this.#end);
    this.#data.set(chunk.subarray(first), 0);
    this.#end = (this.#end + chunk.length) % capacity;
    this.#length = Math.min(capacity, this.#length + chunk.length);
  }

  /**
   * A copy of the contents, oldest first. When older bytes were dropped, it
   * starts at a character boundary: a UTF-8 sequence cut in half would show
   * as garbage at the top of the replay.
   */
  snapshot(): Buffer {
    const start = (this.#end - this.#length + this.capacity) % this.capacity;
    const copy =
      start + this.#length <= this.capacity
        ? Buffer.from(this.#data.subarray(start, start + this.#length))
        : Buffer.concat([this.#data.subarray(start), this.#data.subarray(0, this.#end)]);
    if (this.#length < this.capacity) return copy;
    let skip = 0;
    while (skip < 4 && skip < copy.length && (copy[skip]! & 0xc0) === 0x80) skip++;
    return skip ? copy.subarray(skip) : copy;
  }

  clear(): void {
    this.#end = 0;
    this.#length = 0;
  }
}
