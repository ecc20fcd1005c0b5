import { eq, inArray } from "drizzle-orm";
import { afterAll, beforeAll, expect, it } from "vitest";
import { createTestApp, submitAsCompany, type TestApp } from "../../../test/support/app";
import { describePostgres } from "../../../test/support/db";
import { makeOrganization } from "../../../test/support/factories";
import { type AppKeys, makeCredentials, openRequest } from "../../../test/support/open-api";
import { PURCHASE_LINES, rowLockRace } from "../../../test/support/refunds";
import { waitUntil } from "../../../test/support/wait";
import {
  invoiceLines,
  invoices,
  receiptCodeConfigs,
  receiptCodes,
  refunds,
  submissionCodes,
  submissions,
} from "../../platform/db/schema";
import { applyAwaitingRefund } from "./refunds.service";

const { lunch, tea, cake } = PURCHASE_LINES;

/**
 * A refund of a receipt and the consumer's merged submit (合并开票) that adds it, at once, in both
 * orders of arrival. An operator's transaction holds the added receipt's row lock; the first request
 * queues for the row first, the second behind it; then the lock is let go. Each has read the receipt
 * before it waits (the submit its total, for the merged lines), so only the database decides.
 */
describePostgres("refund of an added receipt racing the merged submit [postgres]", () => {
  let app: TestApp;
  let keys: AppKeys;
  let orgId: string;
  let race: Awaited<ReturnType<typeof rowLockRace>>;
  let n = 0;
  beforeAll(async () => {
    app = await createTestApp("postgres");
    orgId = (await makeOrganization(app.ctx.database)).id;
    keys = await makeCredentials(app, orgId);
    await app.ctx.database.db
      .update(receiptCodeConfigs)
      .set({ mergeEnabled: true, mergeMaxReceipts: 5 })
      .where(eq(receiptCodeConfigs.orgId, orgId));
    race = await rowLockRace(app);
  });
  afterAll(async () => {
    await race?.close();
    await app?.close();
  });

  const push = async (orderNo: string, lines: unknown[]) => {
    const { id, token } = (
      await openRequest(app, keys, {
        method: "POST",
        url: "/open/v1/receipt-codes",
        body: { orderNo, drawer: "张三", lines },
      })
    ).json() as { id: string; token: string };
    const [row] = await app.ctx.database.db.select().from(receiptCodes).where(eq(receiptCodes.id, id));
    return { id, token, orderNo, shortCode: row!.shortCode };
  };
  /** The primary receipt (lunch) and the one to add (tea, cake). */
  const pair = async () => {
    n += 1;
    return { a: await push(`MR-${n}-A`, [lunch]), b: await push(`MR-${n}-B`, [tea, cake]) };
  };
  const submitMerged = (token: string, shortCode: string) =>
    submitAsCompany(app, token, { mergeCodes: [shortCode] });
  const refund = (orderNo: string, body: unknown) =>
    openRequest(app, keys, { method: "POST", url: `/open/v1/receipt-codes/${orderNo}/refunds`, body });
  const nothingSubmitted = async (a: { id: string }, b: { id: string }) => {
    const { db } = app.ctx.database;
    expect(await db.select().from(submissions).where(eq(submissions.receiptCodeId, a.id))).toEqual([]);
    expect(
      await db
        .select()
        .from(submissionCodes)
        .where(inArray(submissionCodes.receiptCodeId, [a.id, b.id])),
    ).toEqual([]);
    expect(await db.select().from(invoices).where(eq(invoices.receiptCodeId, a.id))).toEqual([]);
    const codes = await db
      .select()
      .from(receiptCodes)
      .where(inArray(receiptCodes.id, [a.id, b.id]));
    return new Map(codes.map((c) => [c.id, c]));
  };

  it("refund first (part of it): the merged submit that read the old total is refused, nothing written", async () => {
    const { a, b } = await pair();
    const [refunded, submitted] = await race.inOrder(
      b.id,
      () => refund(b.orderNo, { refundNo: `${b.orderNo}-R`, reason: "销货退回", lines: [{ lineNo: 2 }] }),
      () => submitMerged(a.token, b.shortCode),
    );
    expect(refunded.json()).toMatchObject({
      status: "reduced",
      receiptCode: { totals: { totalAmount: "12.00" } },
    });
    expect(submitted.statusCode).toBe(422);
    expect(submitted.json().error.code).toBe("MERGE_NOT_ALLOWED");
    expect(submitted.json().error.message).toContain("金额刚刚发生变化");
    const codes = await nothingSubmitted(a, b);
    expect(codes.get(a.id)?.status).toBe("active");
    expect(codes.get(b.id)).toMatchObject({ status: "active", totalAmount: "12.00" });
    // Merging again takes what is left.
    const again = await submitMerged(a.token, b.shortCode);
    expect(again.json().invoices[0].totals.totalAmount).toBe("100.00");
  });

  it("refund first (all of it): the merged submit is refused as refunded, nothing written", async () => {
    const { a, b } = await pair();
    const [refunded, submitted] = await race.inOrder(
      b.id,
      () => refund(b.orderNo, { refundNo: `${b.orderNo}-R`, reason: "销货退回" }),
      () => submitMerged(a.token, b.shortCode),
    );
    expect(refunded.json().status).toBe("closed");
    expect(submitted.statusCode).toBe(422);
    expect(submitted.json().error.message).toContain("已退款");
    const codes = await nothingSubmitted(a, b);
    expect(codes.get(b.id)?.status).toBe("refunded");
  });

  it("submit first: the refund finds the receipt merged and reverses its line on the merged invoice", async () => {
    const { a, b } = await pair();
    const [submitted, refunded] = await race.inOrder(
      b.id,
      () => submitMerged(a.token, b.shortCode),
      () => refund(b.orderNo, { refundNo: `${b.orderNo}-R`, reason: "销货退回", lines: [{ lineNo: 2 }] }),
    );
    expect(submitted.statusCode, submitted.body).toBe(202);
    const blueId = submitted.json().invoices[0].id as string;
    expect(submitted.json().invoices[0].totals.totalAmount).toBe("120.00");
    // Merged before the refund read it: it waits for the invoice, or (issued already) reverses it.
    expect(["awaiting_invoice", "reversing"]).toContain(refunded.json().status);
    const { db } = app.ctx.database;
    const [row] = await db
      .select()
      .from(refunds)
      .where(eq(refunds.refundNo, `${b.orderNo}-R`));
    if (row!.status === "awaiting_invoice") {
      await waitUntil(async () => {
        const [c] = await db.select().from(receiptCodes).where(eq(receiptCodes.id, a.id));
        return c?.status === "invoiced";
      }, "the merged invoice issued");
      await applyAwaitingRefund(app.ctx, row!.id);
    }
    const done = await waitUntil(async () => {
      const [r] = await db.select().from(refunds).where(eq(refunds.id, row!.id));
      return r?.redInvoiceId ? r : undefined;
    }, "the refund's red invoice");
    expect(done).toMatchObject({ status: "reversing", totalAmount: "20.00", blueInvoiceId: blueId });
    const reds = await db.select().from(invoices).where(eq(invoices.blueInvoiceId, blueId));
    expect(reds.map((r) => r.totalAmount)).toEqual(["-20.00"]);
    // The cake: the merged invoice's line 3 (lunch, tea, cake).
    const lines = await db.select().from(invoiceLines).where(eq(invoiceLines.invoiceId, reds[0]!.id));
    expect(lines.map((l) => l.blueLineNo)).toEqual([3]);
  });
});
