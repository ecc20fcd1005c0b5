import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestApp, submitAsCompany, type TestApp } from "../../../test/support/app";
import { databaseKinds } from "../../../test/support/db";
import { makeOrganization } from "../../../test/support/factories";
import {
  type AppKeys,
  type MerchantServer,
  makeCredentials,
  openRequest,
  startMerchant,
} from "../../../test/support/open-api";
import { PURCHASE_LINES } from "../../../test/support/refunds";
import { waitUntil } from "../../../test/support/wait";
import { invoices, organizations, receiptCodes, refunds, taxBureauAccounts } from "../../platform/db/schema";
import { applyAwaitingRefund } from "./refunds.service";

const { coffee, lunch } = PURCHASE_LINES;

/**
 * Refunds through the open API (API.md §1), on both databases: a code not invoiced is reduced or
 * closed, an invoiced one reversed by a red invoice, idempotent by refundNo; and a refund meeting a
 * consumer's submit is decided by the code's row, whichever comes first.
 */
for (const kind of databaseKinds()) {
  describe(`refunds [${kind}]`, () => {
    let app: TestApp;
    let keys: AppKeys;
    let orgId: string;
    let merchant: MerchantServer;
    beforeAll(async () => {
      merchant = await startMerchant((_r, res) => {
        res.statusCode = 200;
        res.end("ok");
      });
      app = await createTestApp(kind, { env: { PIAOMA_ALLOW_PRIVATE_URLS: "true" } });
      orgId = (await makeOrganization(app.ctx.database)).id;
      keys = await makeCredentials(app, orgId);
      await app.ctx.database.db
        .update(organizations)
        .set({ webhookUrl: `${merchant.url}/hooks` })
        .where(eq(organizations.id, orgId));
    });
    afterAll(async () => {
      await app?.close();
      await merchant?.close();
    });

    const push = async (orderNo: string, lines: unknown[] = [coffee, lunch]) => {
      const res = await openRequest(app, keys, {
        method: "POST",
        url: "/open/v1/receipt-codes",
        body: { orderNo, drawer: "张三", lines },
      });
      expect(res.statusCode).toBe(201);
      return res.json() as { token: string; id: string };
    };
    const refund = (orderNo: string, body: unknown) =>
      openRequest(app, keys, { method: "POST", url: `/open/v1/receipt-codes/${orderNo}/refunds`, body });
    const hooks = (type: string, orderNo: string) =>
      merchant.received
        .map((r) => JSON.parse(r.body))
        .filter((e) => e.type === type && (e.data.orderNo === orderNo || e.data.receiptCode === undefined));
    const codeRow = async (id: string) =>
      (await app.ctx.database.db.select().from(receiptCodes).where(eq(receiptCodes.id, id)))[0]!;

    it("reduces a code not yet invoiced, answers a repeat the same, refuses another body under the same refundNo", async () => {
      const code = await push("RF-1");
      const body = { refundNo: "R-1", reason: "销货退回", lines: [{ lineNo: 1, quantity: "1" }] };
      const first = await refund("RF-1", body);
      expect(first.statusCode).toBe(201);
      expect(first.json()).toMatchObject({
        refundNo: "R-1",
        orderNo: "RF-1",
        status: "reduced",
        totalAmount: "15.00",
        receiptCode: { status: "active", totals: { totalAmount: "103.00" } },
      });
      const again = await refund("RF-1", body);
      expect(again.statusCode).toBe(200);
      expect(again.json()).toEqual(first.json());
      const other = await refund("RF-1", { ...body, lines: [{ lineNo: 1, quantity: "2" }] });
      expect(other.statusCode).toBe(409);
      expect(other.json().error.code).toBe("REFUND_CONFLICT");
      // The consumer sees what is left: one coffee and the lunch.
      const view = (await app.http.inject({ method: "GET", url: `/api/scan/${code.token}` })).json();
      expect(view.totals.totalAmount).toBe("103.00");
      expect(
        view.lines.map((l: { quantity: string | null; amountIncludingTax: string }) => l.quantity),
      ).toEqual(["1", null]);
      expect((await codeRow(code.id)).totalAmount).toBe("103.00");
      // Beyond what is left: refused, nothing changes.
      const tooMuch = await refund("RF-1", {
        refundNo: "R-2",
        reason: "销货退回",
        lines: [{ lineNo: 1, quantity: "2" }],
      });
      expect(tooMuch.statusCode).toBe(409);
      expect(tooMuch.json().error.code).toBe("NOTHING_LEFT_TO_REVERSE");
      expect((await codeRow(code.id)).totalAmount).toBe("103.00");
      const hook = await waitUntil(
        () => hooks("receipt_code.refunded", "RF-1").find((e) => e.data.refundNo === "R-1"),
        "the receipt_code.refunded webhook",
      );
      expect(hook.data).toMatchObject({ status: "reduced", totalAmount: "15.00" });
    });

    it("closes a code when refunds take all of it: the page says refunded and a submit is refused", async () => {
      const code = await push("RF-2");
      expect(
        (await refund("RF-2", { refundNo: "R-2a", reason: "销售折让", amount: "18.00" })).json(),
      ).toMatchObject({
        status: "reduced",
        receiptCode: { totals: { totalAmount: "100.00" } },
      });
      // Lines still named as first pushed: line 2 (lunch) and what is left of line 1.
      const rest = await refund("RF-2", {
        refundNo: "R-2b",
        reason: "销货退回",
        lines: [{ lineNo: 1 }, { lineNo: 2 }],
      });
      expect(rest.json()).toMatchObject({
        status: "closed",
        totalAmount: "100.00",
        receiptCode: { status: "refunded" },
      });
      expect((await codeRow(code.id)).status).toBe("refunded");
      const view = await app.http.inject({ method: "GET", url: `/api/scan/${code.token}` });
      expect(view.statusCode).toBe(410);
      expect(view.json().error.code).toBe("RECEIPT_CODE_REFUNDED");
      const page = await app.http.inject({ method: "GET", url: `/s/${code.token}` });
      expect(page.body).toContain("RECEIPT_CODE_REFUNDED");
      const submit = await submitAsCompany(app, code.token);
      expect(submit.statusCode).toBe(410);
      expect(submit.json().error).toMatchObject({
        code: "RECEIPT_CODE_REFUNDED",
        message: "该订单已退款，不能再开票",
      });
      expect(
        await app.ctx.database.db.select().from(invoices).where(eq(invoices.receiptCodeId, code.id)),
      ).toEqual([]);
      const nothing = await refund("RF-2", { refundNo: "R-2c", reason: "销货退回", amount: "1.00" });
      expect(nothing.statusCode).toBe(409);
      // Disabling it is refused in words that say what it is (refunded, not invoiced).
      const disable = await openRequest(app, keys, {
        method: "POST",
        url: "/open/v1/receipt-codes/RF-2/disable",
      });
      expect(disable.statusCode).toBe(409);
      expect(disable.json().error).toMatchObject({
        code: "ALREADY_INVOICED",
        message: "该订单已退款关闭，不能禁用",
      });
    });

    it("reverses an invoiced code with a partial red invoice, then the rest in full", async () => {
      const code = await push("RF-3");
      expect((await submitAsCompany(app, code.token)).json().status).toBe("issued");
      const part = await refund("RF-3", {
        refundNo: "R-3a",
        reason: "销货退回",
        lines: [{ lineNo: 1, quantity: "1" }],
      });
      expect(part.statusCode).toBe(201);
      expect(part.json()).toMatchObject({
        status: "reversing",
        totalAmount: "15.00",
        receiptCode: { status: "invoiced" },
      });
      const redId = part.json().redInvoiceId as string;
      const blueId = part.json().blueInvoiceId as string;
      const [red] = await app.ctx.database.db.select().from(invoices).where(eq(invoices.id, redId));
      expect(red).toMatchObject({
        color: "red",
        status: "issued",
        totalAmount: "-15.00",
        blueInvoiceId: blueId,
      });
      const [blue] = await app.ctx.database.db.select().from(invoices).where(eq(invoices.id, blueId));
      expect(blue?.status).toBe("partially_reversed");
      const reversed = await waitUntil(
        () =>
          merchant.received
            .map((r) => JSON.parse(r.body))
            .find((e) => e.type === "invoice.reversed" && e.data.id === blueId),
        "the invoice.reversed webhook",
      );
      expect(reversed.data.reversal.totals.totalAmount).toBe("15.00");
      const all = await refund("RF-3", {
        refundNo: "R-3b",
        reason: "销货退回",
        lines: [{ lineNo: 1 }, { lineNo: 2 }],
      });
      expect(all.json()).toMatchObject({ status: "reversing", totalAmount: "103.00" });
      const [after] = await app.ctx.database.db.select().from(invoices).where(eq(invoices.id, blueId));
      expect(after?.status).toBe("reversed");
      // The console lists both on the code and on the invoice.
      const listed = await app.ctx.database.db
        .select()
        .from(refunds)
        .where(eq(refunds.receiptCodeId, code.id));
      expect(listed.map((r) => r.refundNo).sort()).toEqual(["R-3a", "R-3b"]);
    });

    it("numbers lines as first pushed after a reduction, when the code is invoiced later", async () => {
      const code = await push("RF-4");
      await refund("RF-4", { refundNo: "R-4a", reason: "销货退回", lines: [{ lineNo: 1 }] });
      expect((await submitAsCompany(app, code.token)).json().status).toBe("issued");
      // Line 2 (the lunch) is the invoice's line 1 now.
      const res = await refund("RF-4", { refundNo: "R-4b", reason: "销货退回", lines: [{ lineNo: 2 }] });
      expect(res.json()).toMatchObject({ status: "reversing", totalAmount: "88.00" });
      const gone = await refund("RF-4", { refundNo: "R-4c", reason: "销货退回", lines: [{ lineNo: 1 }] });
      expect(gone.statusCode).toBe(409);
    });

    it("leaves a partial refund to an operator when the channel only reverses whole invoices (金蝶)", async () => {
      const code = await push("RF-5");
      const submitted = (await submitAsCompany(app, code.token)).json();
      const [blue] = await app.ctx.database.db
        .select()
        .from(invoices)
        .where(eq(invoices.id, submitted.invoices[0].id));
      await app.ctx.database.db
        .update(taxBureauAccounts)
        .set({ channel: "kingdee" })
        .where(eq(taxBureauAccounts.id, blue!.taxAccountId!));
      try {
        const res = await refund("RF-5", { refundNo: "R-5", reason: "销货退回", lines: [{ lineNo: 2 }] });
        expect(res.statusCode).toBe(201);
        expect(res.json().status).toBe("manual");
        expect(res.json().note).toContain("只能整张红冲");
        expect(
          await app.ctx.database.db.select().from(invoices).where(eq(invoices.blueInvoiceId, blue!.id)),
        ).toEqual([]);
      } finally {
        await app.ctx.database.db
          .update(taxBureauAccounts)
          .set({ channel: "sandbox" })
          .where(eq(taxBureauAccounts.id, blue!.taxAccountId!));
      }
    });

    it("refund first: a submit after it is refused with the refund's reason, nothing issued", async () => {
      const code = await push("RF-6");
      await refund("RF-6", { refundNo: "R-6", reason: "销货退回", lines: [{ lineNo: 1 }, { lineNo: 2 }] });
      const submit = await submitAsCompany(app, code.token);
      expect(submit.json().error.code).toBe("RECEIPT_CODE_REFUNDED");
      expect(
        await app.ctx.database.db.select().from(invoices).where(eq(invoices.receiptCodeId, code.id)),
      ).toEqual([]);
    });

    it("submit first, refund while it is being invoiced: the refund waits and then makes the red invoice", async () => {
      const code = await push("RF-7");
      // The code is taken by a submit whose invoice is not issued yet (as between the submit's
      // statement and the channel's answer).
      await app.ctx.database.db
        .update(receiptCodes)
        .set({ status: "issuing" })
        .where(eq(receiptCodes.id, code.id));
      const waiting = await refund("RF-7", { refundNo: "R-7", reason: "销货退回", lines: [{ lineNo: 2 }] });
      expect(waiting.statusCode).toBe(201);
      expect(waiting.json()).toMatchObject({ status: "awaiting_invoice", redInvoiceId: null });
      await app.ctx.database.db
        .update(receiptCodes)
        .set({ status: "active" })
        .where(eq(receiptCodes.id, code.id));
      expect((await submitAsCompany(app, code.token)).json().status).toBe("issued");
      const [row] = await app.ctx.database.db.select().from(refunds).where(eq(refunds.refundNo, "R-7"));
      expect(await applyAwaitingRefund(app.ctx, row!.id)).toBe(true);
      expect(await applyAwaitingRefund(app.ctx, row!.id)).toBe(false);
      const [done] = await app.ctx.database.db.select().from(refunds).where(eq(refunds.refundNo, "R-7"));
      expect(done).toMatchObject({ status: "reversing", totalAmount: "88.00" });
      const [red] = await app.ctx.database.db
        .select()
        .from(invoices)
        .where(eq(invoices.id, done!.redInvoiceId!));
      expect(red).toMatchObject({ color: "red", status: "issued", totalAmount: "-88.00" });
    });

    it("a refund and a submit at the same moment: exactly one of the two outcomes, never both or neither", async () => {
      for (let i = 0; i < 4; i++) {
        const orderNo = `RF-8-${i}`;
        const code = await push(orderNo);
        const [submit, refunded] = await Promise.all([
          submitAsCompany(app, code.token),
          refund(orderNo, {
            refundNo: `R-8-${i}`,
            reason: "销货退回",
            lines: [{ lineNo: 1 }, { lineNo: 2 }],
          }),
        ]);
        const rows = await app.ctx.database.db
          .select()
          .from(invoices)
          .where(eq(invoices.receiptCodeId, code.id));
        if (refunded.json().status === "closed") {
          expect(submit.json().error.code).toBe("RECEIPT_CODE_REFUNDED");
          expect(rows).toEqual([]);
        } else {
          expect(submit.statusCode).toBe(202);
          expect(["awaiting_invoice", "reversing"]).toContain(refunded.json().status);
          const [r] = await app.ctx.database.db
            .select()
            .from(refunds)
            .where(eq(refunds.refundNo, `R-8-${i}`));
          if (r!.status === "awaiting_invoice") await applyAwaitingRefund(app.ctx, r!.id);
          const reds = (
            await app.ctx.database.db.select().from(invoices).where(eq(invoices.receiptCodeId, code.id))
          ).filter((x) => x.color === "red");
          expect(reds.map((x) => x.totalAmount)).toEqual(["-118.00"]);
        }
      }
    });
  });
}
