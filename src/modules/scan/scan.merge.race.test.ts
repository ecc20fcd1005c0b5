import { eq, inArray } from "drizzle-orm";
import pg from "pg";
import { afterAll, beforeAll, expect, it } from "vitest";
import { createTestApp, type TestApp } from "../../../test/support/app";
import { clonePostgresTemplate, describePostgres } from "../../../test/support/db";
import { makeOrganization, makeReceiptCode, makeUscc } from "../../../test/support/factories";
import { waitUntil } from "../../../test/support/wait";
import { openPostgres } from "../../platform/db/client";
import {
  invoices,
  receiptCodeConfigs,
  receiptCodes,
  submissionCodes,
  submissions,
} from "../../platform/db/schema";

/**
 * Two server processes (two apps, each with its own pool) on one PostgreSQL database, two consumers
 * adding the same receipt to two different merges at the same moment — or one merging it while
 * another submits it alone. A third connection holds the shared code's row lock until both submits
 * wait for it, so they really overlap; then exactly one wins, the other gets a clear refusal, and
 * nothing of the loser is written.
 */
describePostgres("merged submits racing for the same receipt, two processes [postgres]", () => {
  let apps: TestApp[];
  let holder: pg.Client;
  let drop: () => Promise<void>;
  let orgId: string;
  beforeAll(async () => {
    const clone = await clonePostgresTemplate();
    drop = clone.drop;
    apps = [
      await createTestApp("postgres", { database: openPostgres(clone.url, 4) }),
      await createTestApp("postgres", { database: openPostgres(clone.url, 4) }),
    ];
    holder = new pg.Client({ connectionString: clone.url });
    await holder.connect();
    orgId = (await makeOrganization(apps[0]!.ctx.database)).id;
    await apps[0]!.ctx.database.db
      .update(receiptCodeConfigs)
      .set({ mergeEnabled: true, mergeMaxReceipts: 5 })
      .where(eq(receiptCodeConfigs.orgId, orgId));
  });
  afterAll(async () => {
    await holder?.end();
    for (const app of apps ?? []) await app.close();
    await drop?.();
  });

  const buyer = (name: string) => ({
    invoiceType: "digital_normal",
    buyer: { type: "enterprise", name, taxId: makeUscc("91310000") },
    email: "finance@example.com",
  });
  const submit = (app: TestApp, token: string, body: unknown) =>
    app.http.inject({
      method: "POST",
      url: `/api/scan/${token}/submit`,
      headers: { "content-type": "application/json" },
      payload: JSON.stringify(body),
    });

  /** Runs the submits while the shared code's row is locked elsewhere, releasing it once both wait. */
  async function overlapping(sharedId: string, submits: Array<() => ReturnType<typeof submit>>) {
    await holder.query("begin");
    await holder.query("select id from receipt_codes where id = $1 for update", [sharedId]);
    const answers = submits.map((run) => run());
    await waitUntil(async () => {
      const { rows } = await holder.query(
        "select count(*)::int as n from pg_locks where not granted and locktype in ('transactionid', 'tuple')",
      );
      return rows[0].n >= submits.length;
    }, "both submits waiting for the shared receipt's row lock");
    await holder.query("commit");
    return Promise.all(answers);
  }

  async function stateOf(ids: string[]) {
    const { db } = apps[0]!.ctx.database;
    const codes = await db.select().from(receiptCodes).where(inArray(receiptCodes.id, ids));
    const links = await db.select().from(submissionCodes).where(inArray(submissionCodes.receiptCodeId, ids));
    const subs = await db.select().from(submissions).where(inArray(submissions.receiptCodeId, ids));
    const invs = await db.select().from(invoices).where(inArray(invoices.receiptCodeId, ids));
    return {
      status: Object.fromEntries(codes.map((c) => [c.id, c.status])),
      links,
      subs,
      invs,
    };
  }

  it("two merges taking the same receipt: exactly one wins, the other is refused and writes nothing", async () => {
    const ctx = apps[0]!.ctx;
    const [a, b, shared] = [
      await makeReceiptCode(ctx, orgId),
      await makeReceiptCode(ctx, orgId),
      await makeReceiptCode(ctx, orgId),
    ];
    const results = await overlapping(shared!.id, [
      () => submit(apps[0]!, a!.token, { ...buyer("甲公司有限公司"), mergeCodes: [shared!.shortCode] }),
      () => submit(apps[1]!, b!.token, { ...buyer("乙公司有限公司"), mergeCodes: [shared!.url] }),
    ]);
    const codes = results.map((r) => r.statusCode).sort();
    expect(codes, results.map((r) => r.body).join("\n")).toEqual([202, 422]);
    const winner = results[0]!.statusCode === 202 ? a! : b!;
    const loser = winner === a ? b! : a!;
    const refusal = results.find((r) => r.statusCode === 422)!.json().error;
    expect(refusal.code).toBe("MERGE_NOT_ALLOWED");
    expect(refusal.message).toBe(
      `小票 ${shared!.serialNo} 已开票或已提交开票（刚刚发生变化），不能合并；请刷新后重试`,
    );

    const state = await stateOf([a!.id, b!.id, shared!.id]);
    expect(state.status[shared!.id]).toBe("merged");
    expect(state.status[winner.id]).toBe("invoiced");
    expect(state.status[loser.id]).toBe("active");
    expect(state.subs.map((s) => s.receiptCodeId)).toEqual([winner.id]);
    expect(state.links.map((l) => l.receiptCodeId).sort()).toEqual([winner.id, shared!.id].sort());
    expect(new Set(state.links.map((l) => l.submissionId))).toEqual(new Set([state.subs[0]!.id]));
    expect(state.invs.map((i) => i.receiptCodeId)).toEqual([winner.id]);

    // The loser can still invoice its own receipt.
    expect((await submit(apps[1]!, loser.token, buyer("乙公司有限公司"))).statusCode).toBe(202);
  });

  it("a merge and a single submit of the same receipt: exactly one takes it", async () => {
    const ctx = apps[0]!.ctx;
    const [a, shared] = [await makeReceiptCode(ctx, orgId), await makeReceiptCode(ctx, orgId)];
    const results = await overlapping(shared!.id, [
      () => submit(apps[0]!, a!.token, { ...buyer("甲公司有限公司"), mergeCodes: [shared!.shortCode] }),
      () => submit(apps[1]!, shared!.token, buyer("丙公司有限公司")),
    ]);
    const [merged, single] = results;
    // Either may win; whichever did, the shared receipt is in exactly one submission.
    expect([merged!.statusCode, single!.statusCode], results.map((r) => r.body).join("\n")).toEqual(
      merged!.statusCode === 202 ? [202, 409] : [422, 202],
    );
    const state = await stateOf([a!.id, shared!.id]);
    const sharedLinks = state.links.filter((l) => l.receiptCodeId === shared!.id);
    expect(sharedLinks).toHaveLength(1);
    if (merged!.statusCode === 202) {
      // The merge won: the single submit is told the receipt went into another's invoice.
      expect(single!.json().error).toMatchObject({
        code: "ALREADY_INVOICED",
        message: "该小票已与其他小票合并开票，不能单独开票",
      });
      expect(state.status[shared!.id]).toBe("merged");
      expect(state.subs.map((s) => s.receiptCodeId)).toEqual([a!.id]);
      expect(state.invs.every((i) => i.receiptCodeId === a!.id)).toBe(true);
    } else {
      expect(merged!.statusCode).toBe(422);
      expect(merged!.json().error.message).toBe(
        `小票 ${shared!.serialNo} 已开票或已提交开票（刚刚发生变化），不能合并；请刷新后重试`,
      );
      expect(state.status[a!.id]).toBe("active");
      expect(state.subs.map((s) => s.receiptCodeId)).toEqual([shared!.id]);
      expect(state.invs.every((i) => i.receiptCodeId === shared!.id)).toBe(true);
    }
  });
});
