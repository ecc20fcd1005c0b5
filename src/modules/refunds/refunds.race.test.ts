import { eq } from "drizzle-orm";
import { afterAll, beforeAll, expect, it } from "vitest";
import { createTestApp, submitAsCompany, type TestApp } from "../../../test/support/app";
import { describePostgres } from "../../../test/support/db";
import { makeOrganization } from "../../../test/support/factories";
import { type AppKeys, makeCredentials, openRequest } from "../../../test/support/open-api";
import { PURCHASE_LINES, rowLockRace } from "../../../test/support/refunds";
import { waitUntil } from "../../../test/support/wait";
import { invoices, receiptCodes, refunds, submissions } from "../../platform/db/schema";
import { applyAwaitingRefund } from "./refunds.service";

const { lunch, tea } = PURCHASE_LINES;

/**
 * A refund and a consumer's submit reaching the same code at once, in both orders of arrival. An
 * operator's transaction holds the code's row lock; the first request to arrive queues for the row
 * first (PostgreSQL grants a row's waiters in order), the second behind it; then the lock is let go.
 * Each request has read the code before it waits — the submit its lines and total — so only the
 * database decides: the row as the first left it.
 */
describePostgres("refund racing a consumer's submit [postgres]", () => {
  let app: TestApp;
  let keys: AppKeys;
  let orgId: string;
  let race: Awaited<ReturnType<typeof rowLockRace>>;
  beforeAll(async () => {
    app = await createTestApp("postgres");
    orgId = (await makeOrganization(app.ctx.database)).id;
    keys = await makeCredentials(app, orgId);
    race = await rowLockRace(app);
  });
  afterAll(async () => {
    await race?.close();
    await app?.close();
  });

  const push = async (orderNo: string) =>
    (
      await openRequest(app, keys, {
        method: "POST",
        url: "/open/v1/receipt-codes",
        body: { orderNo, drawer: "张三", lines: [lunch, tea] },
      })
    ).json() as { id: string; token: string };
  const refund = (orderNo: string, body: unknown) =>
    openRequest(app, keys, { method: "POST", url: `/open/v1/receipt-codes/${orderNo}/refunds`, body });

  it("refund first (part of it): the submit that read the old total is refused, asked to look again, nothing written", async () => {
    const code = await push("RACE-1");
    const [refunded, submitted] = await race.inOrder(
      code.id,
      () => refund("RACE-1", { refundNo: "RR-1", reason: "销货退回", lines: [{ lineNo: 2 }] }),
      () => submitAsCompany(app, code.token),
    );
    expect(refunded.json()).toMatchObject({
      status: "reduced",
      receiptCode: { totals: { totalAmount: "88.00" } },
    });
    expect(submitted.statusCode).toBe(409);
    expect(submitted.json().error).toMatchObject({ code: "RECEIPT_CODE_CHANGED" });
    expect(submitted.json().error.message).toContain("部分退款");
    const { db } = app.ctx.database;
    expect(await db.select().from(submissions).where(eq(submissions.receiptCodeId, code.id))).toEqual([]);
    expect(await db.select().from(invoices).where(eq(invoices.receiptCodeId, code.id))).toEqual([]);
    // Looking again and submitting invoices what is left.
    const again = await submitAsCompany(app, code.token);
    expect(again.json().invoices[0].totals.totalAmount).toBe("88.00");
  });

  it("refund first (all of it): the submit is refused as refunded", async () => {
    const code = await push("RACE-2");
    const [refunded, submitted] = await race.inOrder(
      code.id,
      () => refund("RACE-2", { refundNo: "RR-2", reason: "销货退回", lines: [{ lineNo: 1 }, { lineNo: 2 }] }),
      () => submitAsCompany(app, code.token),
    );
    expect(refunded.json().status).toBe("closed");
    expect(submitted.statusCode).toBe(410);
    expect(submitted.json().error).toMatchObject({
      code: "RECEIPT_CODE_REFUNDED",
      message: "该订单已退款，不能再开票",
    });
    expect(
      await app.ctx.database.db.select().from(invoices).where(eq(invoices.receiptCodeId, code.id)),
    ).toEqual([]);
  });

  it("submit first: the refund finds the code taken, waits for the invoice, then reverses it with a red invoice", async () => {
    const code = await push("RACE-3");
    const [submitted, refunded] = await race.inOrder(
      code.id,
      () => submitAsCompany(app, code.token),
      () => refund("RACE-3", { refundNo: "RR-3", reason: "销货退回", lines: [{ lineNo: 2 }] }),
    );
    expect(submitted.statusCode).toBe(202);
    const blueId = submitted.json().invoices[0].id as string;
    expect(submitted.json().invoices[0].totals.totalAmount).toBe("100.00");
    // The refund saw the code taken by the submit: it waits for the invoice, or (issued already) reverses it.
    expect(["awaiting_invoice", "reversing"]).toContain(refunded.json().status);
    const { db } = app.ctx.database;
    const [row] = await db.select().from(refunds).where(eq(refunds.refundNo, "RR-3"));
    if (row!.status === "awaiting_invoice") {
      await waitUntil(async () => {
        const [c] = await db.select().from(receiptCodes).where(eq(receiptCodes.id, code.id));
        return c?.status === "invoiced";
      }, "the blue invoice issued");
      // The sweep may have applied it already; either way it is applied exactly once.
      await applyAwaitingRefund(app.ctx, row!.id);
    }
    await waitUntil(async () => {
      const [r] = await db.select().from(refunds).where(eq(refunds.refundNo, "RR-3"));
      return r?.redInvoiceId ? r : undefined;
    }, "the refund's red invoice");
    const reds = (await db.select().from(invoices).where(eq(invoices.blueInvoiceId, blueId))).map(
      (r) => r.totalAmount,
    );
    expect(reds).toEqual(["-12.00"]);
  });
});
