import fs from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { eq, inArray } from "drizzle-orm";
import { afterAll, beforeAll, expect, it } from "vitest";
import { loadConfig } from "../../src/config";
import { type Database, openPostgres } from "../../src/platform/db/client";
import {
  deliveries,
  invoices,
  receiptCodes,
  submissions,
  taxBureauAccounts,
} from "../../src/platform/db/schema";
import { clonePostgresTemplate, describePostgres } from "../support/db";
import { makeOrganization, makeReceiptCode, makeUscc } from "../support/factories";
import { type ServerProcess, startServer } from "../support/processes";
import { startSmtp, type TestSmtp } from "../support/smtp";
import { waitUntil } from "../support/wait";

/**
 * Zero-downtime deploys (issue 21 item 3): two processes on one PostgreSQL, one of them SIGTERMed
 * under load.
 *
 * The client stands for the reverse proxy of deploy/compose.yaml (nginx with its default upstream
 * settings): one new connection per request (HTTP/1.0-style, `Connection: close`), and a request
 * whose connection is refused goes to the other process — it never reached the stopping one. A
 * connection reset after the request was written would be retried by nginx only for idempotent
 * methods; the submit is one by the API's design (a repeat for the same code and buyer answers the
 * same invoices), and the test counts such resets separately and expects none: the stopping process
 * must answer every request it accepted.
 */
describePostgres("graceful shutdown under load", () => {
  let db: { url: string; drop(): Promise<void> };
  let database: Database;
  let smtp: TestSmtp;
  let dataDir: string;
  let env: Record<string, string>;
  let survivor: ServerProcess;
  const started: ServerProcess[] = [];

  beforeAll(async () => {
    db = await clonePostgresTemplate();
    database = openPostgres(db.url, 5);
    smtp = await startSmtp();
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "piaoma-shutdown-"));
    env = {
      DATABASE_URL: db.url,
      PIAOMA_DATA_DIR: dataDir,
      PIAOMA_SECRET: "shutdown-secret-shutdown-secret-shutdown-0",
      PIAOMA_DEMO: "false",
      SMTP_URL: smtp.url,
      // The sweep's backstop is far away: whatever the stopping process leaves must be handed over,
      // not found 30 s later.
      PIAOMA_TUNING: "issueBackstopSeconds=30,issueRetrySeconds=30,jobPollSeconds=0.5",
    };
    survivor = await startServer(env);
    started.push(survivor);
  }, 120_000);
  afterAll(async () => {
    for (const s of started) await s.stop("SIGKILL");
    await database?.close();
    await smtp?.close();
    await db?.drop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  const ctx = () => ({ database, config: loadConfig({ ...env, PUBLIC_URL: survivor.baseUrl }) });

  it("SIGTERM mid-load: requests in flight are answered, later ones go to the other process, nothing is lost", async () => {
    const stopping = await startServer({ ...env, LOG_LEVEL: "info" });
    started.push(stopping);
    const org = await makeOrganization(database, { name: "平滑停机测试有限公司" });
    // Each issue takes 0.6 s at the channel: at any moment several submits are in flight.
    await database.db
      .update(taxBureauAccounts)
      .set({ settings: { delayMs: 600 } })
      .where(eq(taxBureauAccounts.orgId, org.id));
    const codes = await Promise.all(Array.from({ length: 60 }, () => makeReceiptCode(ctx(), org.id)));

    const servers = [stopping.baseUrl, survivor.baseUrl];
    let termAt = 0;
    let answered = 0;
    const results = new Map<string, number>();
    const refusedRetries: string[] = [];
    const resets: string[] = [];
    const answeredAfterTerm: number[] = [];
    let next = 0;
    const worker = async (w: number) => {
      for (let i = next++; i < codes.length; i = next++) {
        const code = codes[i]!;
        let target = (i + w) % 2;
        const body = JSON.stringify({
          invoiceType: "digital_normal",
          buyer: { type: "enterprise", name: "停机买方", taxId: makeUscc() },
          email: "buyer@example.com",
        });
        for (let attempt = 0; ; attempt++) {
          const sentAt = Date.now();
          const outcome = await post(`${servers[target]}/api/scan/${code.token}/submit`, body);
          if (outcome.kind === "answer") {
            results.set(code.id, outcome.status);
            answered += 1;
            if (target === 0 && termAt > 0 && sentAt < termAt) answeredAfterTerm.push(outcome.status);
            break;
          }
          if (attempt > 3) throw new Error(`code ${i}: no answer after ${attempt} attempts`);
          (outcome.kind === "refused" ? refusedRetries : resets).push(`${code.id}: ${outcome.error}`);
          target = 1 - target;
        }
      }
    };
    const load = Promise.all(Array.from({ length: 8 }, (_, w) => worker(w)));
    await waitUntil(async () => answered >= 15 || undefined, "a quarter of the load answered", 60_000);
    termAt = Date.now();
    const exited = stopping.stop("SIGTERM");
    await load;
    expect(await exited).toBe(0);

    // Every request got a real answer: 202 (issued or issuing) — none refused, none a 5xx.
    expect(results.size).toBe(codes.length);
    expect([...results.values()].filter((s) => s !== 202)).toEqual([]);
    // Requests the stopping process had accepted were finished by it, not cut.
    expect(answeredAfterTerm.length).toBeGreaterThan(0);
    expect(answeredAfterTerm.every((s) => s === 202)).toBe(true);
    expect(resets).toEqual([]);
    // After the listener closed, the proxy's retries went elsewhere.
    expect(refusedRetries.length).toBeGreaterThan(0);
    expect(stopping.output()).toMatch(/"drained":true/);

    // Nothing lost: one submission and one issued invoice per code, each delivered.
    const ids = codes.map((c) => c.id);
    const subs = await database.db.select().from(submissions).where(inArray(submissions.receiptCodeId, ids));
    expect(subs).toHaveLength(codes.length);
    const issued = await waitUntil(
      async () => {
        const rows = await database.db.select().from(invoices).where(eq(invoices.orgId, org.id));
        return rows.length === codes.length && rows.every((r) => r.status === "issued") ? rows : undefined;
      },
      "every invoice issued",
      30_000,
    );
    await waitUntil(
      async () => {
        const sent = await database.db.select().from(deliveries).where(eq(deliveries.status, "sent"));
        return issued.every((inv) => sent.some((d) => d.invoiceId === inv.id)) || undefined;
      },
      "every invoice delivered",
      30_000,
    );
  }, 180_000);

  it("past the deadline, background issuing is handed to the other process at once, not after the backstop", async () => {
    const stopping = await startServer({
      ...env,
      LOG_LEVEL: "info",
      PIAOMA_TUNING: `${env.PIAOMA_TUNING},submitWaitSeconds=1,shutdownSeconds=1`,
    });
    started.push(stopping);
    const org = await makeOrganization(database, { name: "停机期限测试有限公司" });
    // Slower than the submit waits and than the shutdown deadline.
    await database.db
      .update(taxBureauAccounts)
      .set({ settings: { delayMs: 5000 } })
      .where(eq(taxBureauAccounts.orgId, org.id));
    const codes = await Promise.all(Array.from({ length: 3 }, () => makeReceiptCode(ctx(), org.id)));
    for (const code of codes) {
      const outcome = await post(
        `${stopping.baseUrl}/api/scan/${code.token}/submit`,
        JSON.stringify({
          invoiceType: "digital_normal",
          buyer: { type: "enterprise", name: "期限买方", taxId: makeUscc() },
          email: "buyer@example.com",
        }),
      );
      expect(outcome).toMatchObject({ kind: "answer", status: 202 });
    }
    const rows = await database.db.select().from(invoices).where(eq(invoices.orgId, org.id));
    expect(rows.map((r) => r.status)).toEqual(["issuing", "issuing", "issuing"]);
    // Left alone, the sweep would look at them 30 s after they were created.
    for (const r of rows) expect(r.nextAttemptAt!.getTime()).toBeGreaterThan(Date.now() + 20_000);

    expect(await stopping.stop("SIGTERM")).toBe(0);
    expect(stopping.output()).toMatch(/"drained":false,"released":3/);
    // Each row was made due at once: its due time is no longer the backstop it had — it is now, or,
    // if the other process's sweep has claimed it since, that claim's lease.
    const handedOver = await database.db.select().from(invoices).where(eq(invoices.orgId, org.id));
    for (const r of handedOver) {
      const before = rows.find((b) => b.id === r.id)!;
      expect(r.status === "issued" || r.nextAttemptAt!.getTime() !== before.nextAttemptAt!.getTime()).toBe(
        true,
      );
    }
    // The other process's sweep takes them now and issues each once.
    const issued = await waitUntil(
      async () => {
        const now = await database.db.select().from(invoices).where(eq(invoices.orgId, org.id));
        return now.every((r) => r.status === "issued") ? now : undefined;
      },
      "handed-over invoices issued by the other process",
      25_000,
    );
    expect(new Set(issued.map((r) => r.number)).size).toBe(3);
  }, 120_000);

  it("the scans a process counted and has not written yet are written when it stops", async () => {
    // Counts written every 10 minutes: only the shutdown writes these.
    const stopping = await startServer({ ...env, PIAOMA_TUNING: "scanCountMs=600000" });
    started.push(stopping);
    const org = await makeOrganization(database, { name: "扫码计数停机有限公司" });
    const code = await makeReceiptCode(ctx(), org.id);
    for (let i = 0; i < 3; i++) {
      const res = await fetch(`${stopping.baseUrl}/api/scan/${code.token}`);
      expect(res.status).toBe(200);
    }
    const counted = async () =>
      (await database.db.select().from(receiptCodes).where(eq(receiptCodes.id, code.id)))[0];
    expect((await counted())?.scanCount).toBe(0);
    expect(await stopping.stop("SIGTERM")).toBe(0);
    const row = await counted();
    expect(row?.scanCount).toBe(3);
    expect(row?.firstScannedAt).toBeInstanceOf(Date);
  }, 120_000);
});

type Outcome =
  | { kind: "answer"; status: number; body: string }
  | { kind: "refused"; error: string }
  | { kind: "reset"; error: string };

/** One POST on a new connection, as nginx sends it upstream by default. */
function post(url: string, body: string): Promise<Outcome> {
  return new Promise((resolve) => {
    const req = http.request(
      url,
      {
        method: "POST",
        agent: false,
        headers: { "content-type": "application/json", "content-length": Buffer.byteLength(body) },
      },
      (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (d) => {
          text += d;
        });
        res.on("end", () => resolve({ kind: "answer", status: res.statusCode ?? 0, body: text }));
        res.on("error", (e) => resolve({ kind: "reset", error: `during the answer: ${e.message}` }));
      },
    );
    req.on("error", (e: NodeJS.ErrnoException) =>
      resolve({ kind: e.code === "ECONNREFUSED" ? "refused" : "reset", error: `${e.code}: ${e.message}` }),
    );
    req.end(body);
  });
}
