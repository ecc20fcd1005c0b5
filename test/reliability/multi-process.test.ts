import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { eq, inArray, sql } from "drizzle-orm";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config";
import { type Database, openPostgres } from "../../src/platform/db/client";
import {
  deliveries,
  invoices,
  receiptCodeConfigs,
  receiptCodes,
  submissionCodes,
  submissions,
} from "../../src/platform/db/schema";
import { clonePostgresTemplate, describePostgres } from "../support/db";
import { makeOrganization, makeReceiptCode, makeUscc } from "../support/factories";
import { type ServerProcess, startServer } from "../support/processes";
import { startSmtp, type TestSmtp } from "../support/smtp";
import { waitUntil } from "../support/wait";

/**
 * Issue 8's duplicate and crash checks with real server processes on one PostgreSQL: what the
 * database constraints and the issuing state machine promise must hold across processes and kills.
 */
describePostgres("several server processes on one PostgreSQL", () => {
  let db: { url: string; drop(): Promise<void> };
  let database: Database;
  let smtp: TestSmtp;
  let dataDir: string;
  const servers: ServerProcess[] = [];
  let env: Record<string, string>;

  beforeAll(async () => {
    db = await clonePostgresTemplate();
    database = openPostgres(db.url, 10);
    smtp = await startSmtp();
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "piaoma-multi-"));
    env = {
      DATABASE_URL: db.url,
      PIAOMA_DATA_DIR: dataDir,
      PIAOMA_SECRET: "reliability-secret-reliability-secret-000",
      PIAOMA_DEMO: "false",
      SMTP_URL: smtp.url,
      PIAOMA_TUNING:
        "issueBackstopSeconds=1,issueRetrySeconds=1,deliveryRetrySeconds=1,jobPollSeconds=0.5,jobExpireSeconds=3,jobMaintenanceSeconds=2",
    };
    servers.push(await startServer(env), await startServer(env));
  });
  afterAll(async () => {
    for (const s of servers) await s.stop("SIGKILL");
    await database?.close();
    await smtp?.close();
    await db?.drop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  const ctx = () => ({ database, config: loadConfig({ ...env, PUBLIC_URL: servers[0]!.baseUrl }) });
  /**
   * One submit, its answer read to the end: a body left unread belongs to a socket that a SIGKILL
   * resets later, and its stream's error would then have no listener (an uncaught ECONNRESET).
   */
  const submit = async (base: string, token: string, name: string, mergeCodes?: string[]) => {
    const res = await fetch(`${base}/api/scan/${token}/submit`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        invoiceType: "digital_normal",
        buyer: { type: "enterprise", name, taxId: makeUscc() },
        email: "a@example.com",
        ...(mergeCodes ? { mergeCodes } : {}),
      }),
    });
    await res.arrayBuffer();
    return res;
  };

  it("200 rounds of 20 concurrent submits over two processes: one invoice set each round, no number twice", async () => {
    const org = await makeOrganization(database);
    for (let round = 0; round < 200; round++) {
      const code = await makeReceiptCode(ctx(), org.id);
      const statuses = await Promise.all(
        Array.from(
          { length: 20 },
          async (_, i) => (await submit(servers[i % 2]!.baseUrl, code.token, `买方${i % 3}`)).status,
        ),
      );
      expect(
        statuses.filter((s) => s === 202),
        `round ${round}: ${statuses.join(",")}`,
      ).toHaveLength(1);
      expect(statuses.every((s) => [200, 202, 409].includes(s))).toBe(true);
    }
    const [counts] = await database.db
      .select({
        n: sql<number>`count(*)::int`,
        numbers: sql<number>`count(distinct ${invoices.number})::int`,
      })
      .from(invoices)
      .where(eq(invoices.orgId, org.id));
    expect(counts).toEqual({ n: 200, numbers: 200 });
  }, 240_000);

  it("SIGKILL while issuing 50 codes: after restarts every accepted submission is issued once and delivered, numbers gapless", async () => {
    const org = await makeOrganization(database, { name: "崩溃测试有限公司" });
    const codes = await Promise.all(Array.from({ length: 50 }, () => makeReceiptCode(ctx(), org.id)));
    const accepted = new Set<string>();
    // Three kills at random moments, each followed by a restart.
    for (let kill = 0; kill < 3; kill++) {
      const target = servers[kill % 2]!;
      const batch = codes.slice(kill * 17, kill * 17 + 17);
      const sends = batch.map(async (c) => {
        try {
          const res = await submit(target.baseUrl, c.token, "崩溃买方");
          if (res.status === 202 || res.status === 200) accepted.add(c.id);
        } catch {
          // The process died under the request: the outcome is unknown to this consumer.
        }
      });
      await new Promise((r) => setTimeout(r, 20 + Math.random() * 150));
      await target.stop("SIGKILL");
      await Promise.all(sends);
      servers[kill % 2] = await startServer(env);
    }

    const orgInvoices = () => database.db.select().from(invoices).where(eq(invoices.orgId, org.id));
    const subs = await database.db.select().from(submissions);
    const submitted = new Set(
      subs.map((s) => s.receiptCodeId).filter((id) => codes.some((c) => c.id === id)),
    );
    for (const id of accepted) expect(submitted.has(id)).toBe(true);

    const issued = await waitUntil(
      async () => {
        const rows = await orgInvoices();
        return rows.length === submitted.size && rows.every((r) => r.status === "issued") ? rows : undefined;
      },
      "every stored submission issued",
      60_000,
    );
    // One invoice per submitted code, each with its own number, and the sandbox skipped none.
    expect(new Set(issued.map((r) => r.receiptCodeId)).size).toBe(submitted.size);
    const sequences = issued.map((r) => Number(r.number!.slice(5))).sort((a, b) => a - b);
    expect(new Set(sequences).size).toBe(sequences.length);
    const [{ maxSeq } = { maxSeq: 0 }] = await database.db
      .execute<{ maxSeq: number }>(
        sql`select coalesce(max(last_value), 0)::int as "maxSeq" from invoice_number_sequences`,
      )
      .then((r) => (r as unknown as { rows: Array<{ maxSeq: number }> }).rows);
    // Numbers of both tests come from one sequence: together they are exactly 1..max.
    const all = (await database.db.select({ n: invoices.number }).from(invoices)).map((r) =>
      Number(r.n!.slice(5)),
    );
    expect(all.length).toBe(maxSeq);
    expect(new Set(all).size).toBe(maxSeq);

    // Every issued invoice reached the mailbox at least once.
    await waitUntil(
      async () => {
        const sent = await database.db.select().from(deliveries).where(eq(deliveries.status, "sent"));
        return issued.every((inv) => sent.some((d) => d.invoiceId === inv.id));
      },
      "every invoice delivered",
      60_000,
    );
    for (const inv of issued) expect(smtp.mails.some((m) => m.subject.includes(inv.number!))).toBe(true);
  }, 240_000);
  /**
   * 合并开票 across processes (issue 19 item 1): a receipt code belongs to at most one submission.
   * A third connection holds the shared code's row lock until both processes' submits wait for it,
   * so they really overlap; then exactly one takes the code, the other gets its specific refusal, and
   * the database holds the code in exactly one submission.
   */
  describe("a receipt merged by one process while another submits or merges it", () => {
    let holder: pg.Client;
    let orgId: string;
    const ROUNDS = 4;
    const STALE = (serialNo: string) =>
      `小票 ${serialNo} 已开票或已提交开票（刚刚发生变化），不能合并；请刷新后重试`;
    beforeAll(async () => {
      holder = new pg.Client({ connectionString: db.url });
      await holder.connect();
      orgId = (await makeOrganization(database, { name: "合并竞争测试有限公司" })).id;
      await database.db
        .update(receiptCodeConfigs)
        .set({ mergeEnabled: true, mergeMaxReceipts: 5 })
        .where(eq(receiptCodeConfigs.orgId, orgId));
    });
    afterAll(async () => {
      await holder?.end();
    });

    /** Sends both submits (one to each process) while `sharedId`'s row is locked, released once both wait. */
    async function overlapping(sharedId: string, sends: Array<() => Promise<Response>>) {
      await holder.query("begin");
      await holder.query("select id from receipt_codes where id = $1 for update", [sharedId]);
      const answers = sends.map((send) =>
        send().then(async (r) => ({ status: r.status, body: await r.json() })),
      );
      try {
        await waitUntil(async () => {
          const { rows } = await holder.query(
            "select count(*)::int as n from pg_locks where not granted and locktype in ('transactionid', 'tuple')",
          );
          return rows[0].n >= sends.length;
        }, "both processes' submits waiting for the shared receipt's row lock");
      } finally {
        await holder.query("commit");
      }
      return Promise.all(answers);
    }
    // The answers are read in `overlapping`; `submit` reads them to the end, so ask fetch directly.
    const post = (base: string, token: string, name: string, mergeCodes?: string[]) =>
      fetch(`${base}/api/scan/${token}/submit`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({
          invoiceType: "digital_normal",
          buyer: { type: "enterprise", name, taxId: makeUscc() },
          email: "a@example.com",
          ...(mergeCodes ? { mergeCodes } : {}),
        }),
      });

    /** Which submissions hold each code (through submission_codes), and each code's status. */
    async function holdersOf(ids: string[]) {
      const links = await database.db
        .select()
        .from(submissionCodes)
        .where(inArray(submissionCodes.receiptCodeId, ids));
      const subs = await database.db
        .select()
        .from(submissions)
        .where(inArray(submissions.receiptCodeId, ids));
      const codes = await database.db.select().from(receiptCodes).where(inArray(receiptCodes.id, ids));
      return {
        links: (id: string) => links.filter((l) => l.receiptCodeId === id).map((l) => l.submissionId),
        subs: (id: string) => subs.filter((s) => s.receiptCodeId === id).map((s) => s.id),
        status: Object.fromEntries(codes.map((c) => [c.id, c.status])),
      };
    }

    it("a merged submit including B on one process, B submitted alone on the other: one wins, every round", async () => {
      for (let round = 0; round < ROUNDS; round++) {
        const a = await makeReceiptCode(ctx(), orgId);
        const b = await makeReceiptCode(ctx(), orgId);
        const [merged, single] = await overlapping(b.id, [
          () => post(servers[round % 2]!.baseUrl, a.token, "甲合并有限公司", [b.shortCode]),
          () => post(servers[(round + 1) % 2]!.baseUrl, b.token, "乙单开有限公司"),
        ]);
        const detail = `round ${round}: ${JSON.stringify([merged, single])}`;
        const state = await holdersOf([a.id, b.id]);
        // B is in exactly one submission, whichever won.
        expect(state.links(b.id), detail).toHaveLength(1);
        if (merged!.status === 202) {
          expect(single!.status, detail).toBe(409);
          expect(single!.body.error, detail).toMatchObject({
            code: "ALREADY_INVOICED",
            message: "该小票已与其他小票合并开票，不能单独开票",
          });
          expect(state.links(b.id)).toEqual(state.subs(a.id));
          expect(state.subs(b.id)).toEqual([]);
          expect(state.status[b.id]).toBe("merged");
        } else {
          expect([merged!.status, single!.status], detail).toEqual([422, 202]);
          expect(merged!.body.error, detail).toMatchObject({
            code: "MERGE_NOT_ALLOWED",
            message: STALE(b.serialNo),
          });
          expect(state.links(b.id)).toEqual(state.subs(b.id));
          // Nothing of the refused merge was written: A is untouched.
          expect(state.subs(a.id)).toEqual([]);
          expect(state.links(a.id)).toEqual([]);
          expect(state.status[a.id]).toBe("active");
        }
      }
    }, 60_000);

    it("two processes merging B into different receipts at once: one wins, the other is refused, every round", async () => {
      for (let round = 0; round < ROUNDS; round++) {
        const a = await makeReceiptCode(ctx(), orgId);
        const c = await makeReceiptCode(ctx(), orgId);
        const b = await makeReceiptCode(ctx(), orgId);
        const answers = await overlapping(b.id, [
          () => post(servers[round % 2]!.baseUrl, a.token, "甲合并有限公司", [b.shortCode]),
          () => post(servers[(round + 1) % 2]!.baseUrl, c.token, "丙合并有限公司", [b.url]),
        ]);
        const detail = `round ${round}: ${JSON.stringify(answers)}`;
        expect(answers.map((r) => r.status).sort(), detail).toEqual([202, 422]);
        const winner = answers[0]!.status === 202 ? a : c;
        const loser = winner === a ? c : a;
        expect(answers.find((r) => r.status === 422)!.body.error, detail).toMatchObject({
          code: "MERGE_NOT_ALLOWED",
          message: STALE(b.serialNo),
        });
        const state = await holdersOf([a.id, b.id, c.id]);
        expect(state.links(b.id), detail).toHaveLength(1);
        expect(state.links(b.id)).toEqual(state.subs(winner.id));
        expect(state.subs(b.id)).toEqual([]);
        expect(state.status[b.id]).toBe("merged");
        expect(state.subs(loser.id)).toEqual([]);
        expect(state.links(loser.id)).toEqual([]);
        expect(state.status[loser.id]).toBe("active");
      }
    }, 60_000);
  });
});
