import { sql } from "drizzle-orm";
import { afterEach, expect, it } from "vitest";
import { describeEachDatabase, openTestDatabase } from "../../test/support/db";
import type { Database } from "./db/client";
import { JobQueue } from "./jobs";
import { createLogger } from "./logger";

const log = createLogger("silent");

async function until<T>(probe: () => T | Promise<T>, timeoutMs = 15_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v) return v;
    if (Date.now() > end) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 100));
  }
}

describeEachDatabase("JobQueue", (kind) => {
  let database: Database;
  let queue: JobQueue | undefined;
  afterEach(async () => {
    await queue?.stop();
    await database?.close();
  });

  it("runs a sent job in a worker process and retries a failing one", async () => {
    database = await openTestDatabase(kind);
    queue = new JobQueue(database, ["worker"], log);
    const seen: Array<{ n: number; retry: number }> = [];
    let failuresLeft = 1;
    queue.define<{ n: number }>({
      name: "test-echo",
      retryLimit: 3,
      retryDelay: 1,
      retryBackoff: false,
      pollingIntervalSeconds: 0.5,
      handler: async (data, job) => {
        if (data.n === 2 && failuresLeft-- > 0) throw new Error("first attempt fails");
        seen.push({ n: data.n, retry: job.retryCount });
      },
    });
    await queue.start();
    await queue.send("test-echo", { n: 1 });
    await queue.send("test-echo", { n: 2 });
    await until(() => seen.length === 2);
    expect(seen.sort((a, b) => a.n - b.n)).toEqual([
      { n: 1, retry: 0 },
      { n: 2, retry: 1 },
    ]);
  });

  it("writes a job in the caller's transaction: rolled back with it, committed with it", async () => {
    database = await openTestDatabase(kind);
    // An api-only process sends but does not work.
    queue = new JobQueue(database, ["api"], log);
    queue.define({ name: "test-tx", handler: async () => {} });
    await queue.start();
    const q = queue;

    await expect(
      database.db.transaction(async (tx) => {
        await q.send("test-tx", { which: "rolled-back" }, { tx });
        throw new Error("abort");
      }),
    ).rejects.toThrow("abort");
    await database.db.transaction(async (tx) => {
      await q.send("test-tx", { which: "committed" }, { tx });
    });

    const res = await database.db.execute(
      sql`select data->>'which' as which from pgboss.job where name = 'test-tx'`,
    );
    expect((res as unknown as { rows: Array<{ which: string }> }).rows.map((r) => r.which)).toEqual([
      "committed",
    ]);
  });

  it("schedules a cron queue from worker processes only; a stately queue holds one waiting job", async () => {
    database = await openTestDatabase(kind);
    const schedules = async () =>
      (
        (await database.executeSql("select name, cron, timezone from pgboss.schedule order by name")) as {
          rows: Array<{ name: string; cron: string; timezone: string }>;
        }
      ).rows;
    const define = (q: JobQueue) =>
      q.define({ name: "test-cron", policy: "stately", cron: "*/5 * * * *", handler: async () => {} });

    // An api-only process creates the queue (it may send to it) but leaves the schedule alone.
    queue = new JobQueue(database, ["api"], log);
    define(queue);
    await queue.start();
    expect(await schedules()).toEqual([]);
    // Two sends while none is running: stately keeps one.
    const q = queue;
    expect(await q.send("test-cron", {})).toEqual(expect.any(String));
    expect(await q.send("test-cron", {})).toBeNull();
    await queue.stop();

    // Each worker process writes the same schedule (an upsert): one row however many start.
    for (let i = 0; i < 2; i++) {
      queue = new JobQueue(database, ["worker"], log);
      define(queue);
      await queue.start();
      await queue.stop();
    }
    queue = undefined;
    expect(await schedules()).toEqual([{ name: "test-cron", cron: "*/5 * * * *", timezone: "UTC" }]);
  });

  it("refuses to send to a queue nobody defined", async () => {
    database = await openTestDatabase(kind);
    queue = new JobQueue(database, ["api"], log);
    await queue.start();
    await expect(queue.send("nope", {})).rejects.toThrow("unknown queue nope");
  });
});
