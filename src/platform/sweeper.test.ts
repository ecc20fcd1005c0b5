import { describe, expect, it } from "vitest";
import { createLogger } from "./logger";
import { type Claim, Sweeper } from "./sweeper";

/** A sweep over ids 1…n whose work waits until the test lets it finish. */
function slowSweep(n: number) {
  const released: string[][] = [];
  let finish: () => void = () => {};
  const gate = new Promise<void>((resolve) => {
    finish = resolve;
  });
  let claimed = false;
  const claim: Claim = async () => {
    if (claimed) return [];
    claimed = true;
    return Array.from({ length: n }, (_, i) => String(i + 1));
  };
  claim.release = async (ids) => {
    released.push(ids);
  };
  let started = 0;
  const definition = {
    name: "slow",
    concurrency: n,
    intervalSeconds: 0.01,
    claim,
    handle: async () => {
      started += 1;
      await gate;
    },
  };
  return { definition, released, finish, started: () => started };
}

describe("Sweeper.stop", () => {
  it("waits for the rows being worked when they finish within the deadline, releasing nothing", async () => {
    const sweep = slowSweep(3);
    const sweeper = new Sweeper(createLogger("silent"));
    sweeper.define(sweep.definition);
    sweeper.start();
    while (sweep.started() < 3) await new Promise((r) => setTimeout(r, 5));
    const stopping = sweeper.stop(5_000);
    sweep.finish();
    expect(await stopping).toBe(0);
    expect(sweep.released).toEqual([]);
  });

  it("past the deadline gives the unfinished rows back through the claim's release", async () => {
    const sweep = slowSweep(3);
    const sweeper = new Sweeper(createLogger("silent"));
    sweeper.define(sweep.definition);
    sweeper.start();
    while (sweep.started() < 3) await new Promise((r) => setTimeout(r, 5));
    expect(await sweeper.stop(20)).toBe(3);
    expect(sweep.released).toEqual([["1", "2", "3"]]);
    sweep.finish();
  });
});
