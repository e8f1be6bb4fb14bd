import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { SessionRevalidator, type Revocation } from "@/lib/auth/websocket-auth";

// The gate every message of a terminal or IDE socket goes through: at once
// while the session is known to be good, held while a due check runs, and
// dropped once the check finds access gone.

const INTERVAL_MS = 1_000;

function setUp() {
  const socket = { close: vi.fn(), once: vi.fn() };
  let answer: (revocation: Revocation | null) => void = () => {};
  const checks = vi.fn(() => new Promise<Revocation | null>((resolve) => (answer = resolve)));
  const revalidator = new SessionRevalidator(socket, checks, INTERVAL_MS);
  const handled: string[] = [];
  const send = (message: string) => revalidator.gate(() => handled.push(message));
  return { socket, checks, handled, send, answer: (revocation: Revocation | null) => answer(revocation) };
}

const settle = () => new Promise((resolve) => setImmediate(resolve));

describe("SessionRevalidator", () => {
  beforeEach(() => vi.useFakeTimers({ toFake: ["Date", "setTimeout", "clearTimeout"] }));
  afterEach(() => vi.useRealTimers());

  it("lets messages through at once, in order, while no check is due", () => {
    const { handled, send, checks } = setUp();
    send("a");
    send("b");
    expect(handled).toEqual(["a", "b"]);
    expect(checks).not.toHaveBeenCalled();
  });

  it("holds the messages that arrive while a check runs, then lets them through in order", async () => {
    const { handled, send, checks, answer } = setUp();
    vi.setSystemTime(Date.now() + INTERVAL_MS);
    send("a");
    send("b");
    await settle();
    expect(checks).toHaveBeenCalledOnce();
    expect(handled).toEqual([]);
    answer(null);
    await settle();
    expect(handled).toEqual(["a", "b"]);
    send("c");
    expect(handled).toEqual(["a", "b", "c"]);
  });

  it("drops the held messages and every later one when the check finds access gone, and closes the socket with its reason", async () => {
    const { handled, send, answer, socket } = setUp();
    send("before");
    // The check due on the timer, with no message to wait for it.
    vi.advanceTimersByTime(INTERVAL_MS);
    send("during");
    await settle();
    expect(handled).toEqual(["before"]);
    answer({ code: 4403, reason: "access lost" });
    await settle();
    send("after");
    await settle();
    expect(handled).toEqual(["before"]);
    expect(socket.close).toHaveBeenCalledWith(4403, "access lost");
  });
});
