import { describe, expect, it } from "vitest";
import type { Receipt } from "./api";
import { pollReceipt } from "./poll";

const receipt = (status: Receipt["status"]) => ({ status }) as Receipt;

/** A clock that only moves when the poller sleeps. */
function fakeTime() {
  let now = 0;
  const sleeps: number[] = [];
  return {
    now: () => now,
    sleep: async (ms: number) => {
      sleeps.push(ms);
      now += ms;
    },
    sleeps,
  };
}

describe("waiting for the invoice", () => {
  it("asks about every second until the receipt is invoiced", async () => {
    const answers = [receipt("issuing"), receipt("issuing"), receipt("invoiced")];
    const time = fakeTime();
    const seen: string[] = [];
    const outcome = await pollReceipt(async () => answers.shift()!, {
      ...time,
      onProgress: (r) => seen.push(r.status),
    });
    expect(outcome).toEqual({ kind: "settled", receipt: receipt("invoiced") });
    expect(time.sleeps).toEqual([1000, 1000]);
    expect(seen).toEqual(["issuing", "issuing"]);
  });

  it("stops on failed too", async () => {
    const outcome = await pollReceipt(async () => receipt("failed"), fakeTime());
    expect(outcome.kind).toBe("settled");
  });

  it("gives up after the timeout with the last state, so the page can say 'queued'", async () => {
    const time = fakeTime();
    let calls = 0;
    const outcome = await pollReceipt(
      async () => {
        calls += 1;
        return receipt("issuing");
      },
      { ...time, timeoutMs: 5000 },
    );
    expect(outcome).toEqual({ kind: "timeout", receipt: receipt("issuing") });
    expect(calls).toBe(6);
  });

  it("tolerates a few failed requests but not a run of them", async () => {
    const flaky = [new Error("x"), receipt("issuing"), new Error("y"), receipt("invoiced")];
    const ok = await pollReceipt(async () => {
      const next = flaky.shift()!;
      if (next instanceof Error) throw next;
      return next;
    }, fakeTime());
    expect(ok.kind).toBe("settled");

    const down = await pollReceipt(
      async () => {
        throw new Error("offline");
      },
      { ...fakeTime(), maxErrors: 3 },
    );
    expect(down).toMatchObject({ kind: "error" });
  });

  it("stops when the page has moved on", async () => {
    let cancelled = false;
    const outcome = await pollReceipt(
      async () => {
        cancelled = true;
        return receipt("issuing");
      },
      { ...fakeTime(), isCancelled: () => cancelled },
    );
    expect(outcome).toEqual({ kind: "timeout", receipt: receipt("issuing") });
  });
});
