import { afterAll, beforeAll, expect, it } from "vitest";
import { createTestApp, type TestApp } from "../../../test/support/app";
import { describeEachDatabase } from "../../../test/support/db";
import { makeOrganization } from "../../../test/support/factories";
import { type AppKeys, makeCredentials, openRequest } from "../../../test/support/open-api";
import { randomNonce } from "../../platform/signing";
import {
  deleteExpiredNonces,
  NONCE_CLEANUP_CRON,
  NONCE_CLEANUP_GRACE_MS,
  NONCE_CLEANUP_QUEUE,
} from "./open-api.jobs";

async function until<T>(probe: () => T | Promise<T>, timeoutMs = 15_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v) return v;
    if (Date.now() > end) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 100));
  }
}

describeEachDatabase("open-API nonces: claimed by requests, cleared by a scheduled job", (kind) => {
  let app: TestApp;
  let keys: AppKeys;
  beforeAll(async () => {
    app = await createTestApp(kind);
    keys = await makeCredentials(app, (await makeOrganization(app.ctx.database)).id);
  });
  afterAll(() => app?.close());

  const sql = async <T>(text: string, values: unknown[] = []) =>
    (await app.ctx.database.executeSql(text, values)).rows as T[];
  const addNonce = (nonce: string, expiresAt: Date) =>
    sql("insert into open_api_nonces (app_key, nonce, expires_at) values ($1, $2, $3)", [
      keys.appKey,
      nonce,
      expiresAt.toISOString(),
    ]);
  const nonces = async (prefix: string) =>
    (
      await sql<{ nonce: string }>(
        "select nonce from open_api_nonces where nonce like $1 || '%' order by nonce",
        [prefix],
      )
    ).map((r) => r.nonce);
  const ping = (nonce?: string) =>
    openRequest(app, keys, { method: "GET", url: "/open/v1/invoices?orderNo=X" }, { nonce });

  it("deletes nonces expired longer than the grace ago and keeps the others", async () => {
    const now = new Date();
    const ago = (ms: number) => new Date(now.getTime() - ms);
    await addNonce("handler-a-expired-long-ago", ago(3_600_000));
    await addNonce("handler-b-expired-past-grace", ago(NONCE_CLEANUP_GRACE_MS + 1000));
    await addNonce("handler-c-expired-within-grace", ago(NONCE_CLEANUP_GRACE_MS - 60_000));
    await addNonce("handler-d-fresh", new Date(now.getTime() + 600_000));
    expect(await deleteExpiredNonces(app.ctx, now)).toBe(2);
    expect(await nonces("handler-")).toEqual(["handler-c-expired-within-grace", "handler-d-fresh"]);
    // Running again (another process, the next tick) finds nothing more to do.
    expect(await deleteExpiredNonces(app.ctx, now)).toBe(0);
  });

  it("clears a backlog larger than one batch", async () => {
    await sql(
      `insert into open_api_nonces (app_key, nonce, expires_at)
       select $1, 'backlog-' || g, now() - interval '1 day' from generate_series(1, 12000) g`,
      [keys.appKey],
    );
    expect(await deleteExpiredNonces(app.ctx)).toBe(12000);
    expect(await nonces("backlog-")).toEqual([]);
  });

  it("signed requests only insert: an expired nonce stays until the job clears it", async () => {
    await addNonce("request-path-expired", new Date(Date.now() - 86_400_000));
    // The old way deleted expired rows on 5 % of requests: 100 requests would almost surely have.
    for (let i = 0; i < 100; i++) expect((await ping()).statusCode).toBe(200);
    expect(await nonces("request-path-")).toEqual(["request-path-expired"]);
    await deleteExpiredNonces(app.ctx);
    expect(await nonces("request-path-")).toEqual([]);
  });

  it("a reused nonce inside the window is still refused after the job ran", async () => {
    const nonce = randomNonce();
    expect((await ping(nonce)).statusCode).toBe(200);
    // Even a cleanup whose clock is 9 minutes ahead keeps a nonce that is 10 minutes long.
    await deleteExpiredNonces(app.ctx);
    await deleteExpiredNonces(app.ctx, new Date(Date.now() + 9 * 60_000));
    const replay = await ping(nonce);
    expect([replay.statusCode, replay.json().error.code]).toEqual([401, "NONCE_REUSED"]);
  });

  it("is a cron schedule of the worker, and a job of its queue is worked", async () => {
    const [schedule] = await sql<{ cron: string; timezone: string }>(
      "select cron, timezone from pgboss.schedule where name = $1",
      [NONCE_CLEANUP_QUEUE],
    );
    expect(schedule).toEqual({ cron: NONCE_CLEANUP_CRON, timezone: "UTC" });
    const [queue] = await sql<{ policy: string }>("select policy from pgboss.queue where name = $1", [
      NONCE_CLEANUP_QUEUE,
    ]);
    expect(queue?.policy).toBe("stately");

    await addNonce("worked-expired", new Date(Date.now() - 86_400_000));
    await addNonce("worked-fresh", new Date(Date.now() + 600_000));
    // What pg-boss's clock does each minute: put one job on the queue; a worker takes it.
    await app.ctx.jobs.send(NONCE_CLEANUP_QUEUE, {});
    await until(async () => (await nonces("worked-")).length === 1);
    expect(await nonces("worked-")).toEqual(["worked-fresh"]);
  });
});
