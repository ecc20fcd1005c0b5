import { eq, inArray, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestApp, submitAsCompany, type TestApp } from "../../../test/support/app";
import { loginAs, makeUser } from "../../../test/support/console";
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
import {
  invoiceLines,
  invoices,
  organizations,
  receiptCodeConfigs,
  receiptCodes,
  refunds,
  taxBureauAccounts,
} from "../../platform/db/schema";
import { applyAwaitingRefund, refundsSweep } from "./refunds.service";

const { coffee, lunch, cake } = PURCHASE_LINES;
/** 4 × 3.00 at 13 %. */
const tea = { ...PURCHASE_LINES.tea, quantity: "4", unitPrice: "3.00" };

// biome-ignore lint/suspicious/noExplicitAny: JSON answers read field by field
type Json = Record<string, any>;

/**
 * Refunds of receipts invoiced together (合并开票), on both databases: a refund of any receipt of a
 * merged submission reverses only that receipt's lines — a partial red invoice, or a full one when
 * it takes all the invoice has left — on each invoice that carries them when the merge was split;
 * its webhooks and console lists are as for a single code; a channel that reverses only whole
 * invoices leaves a part to an operator. An added receipt shows its invoices in the open API.
 */
for (const kind of databaseKinds()) {
  describe(`refunds of merged receipts [${kind}]`, () => {
    let app: TestApp;
    let keys: AppKeys;
    let orgId: string;
    let merchant: MerchantServer;
    let n = 0;
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
      await setLimit("10000.00");
    });
    afterAll(async () => {
      await app?.close();
      await merchant?.close();
    });

    async function setLimit(limit: string) {
      await app.ctx.database.db
        .update(receiptCodeConfigs)
        .set({
          mergeEnabled: true,
          mergeMaxReceipts: 5,
          limitText: limit,
          limitAmount: limit,
          overLimitPolicy: "split",
        })
        .where(eq(receiptCodeConfigs.orgId, orgId));
    }
    const push = async (orderNo: string, lines: unknown[]) => {
      const res = await openRequest(app, keys, {
        method: "POST",
        url: "/open/v1/receipt-codes",
        body: { orderNo, drawer: "张三", lines },
      });
      expect(res.statusCode, res.body).toBe(201);
      const { id, token } = res.json() as { id: string; token: string };
      const [row] = await app.ctx.database.db.select().from(receiptCodes).where(eq(receiptCodes.id, id));
      return { id, token, shortCode: row!.shortCode, orderNo };
    };
    /** Two receipts pushed and submitted together on the first one's page: [primary, added, blues]. */
    const merged = async (first: unknown[], second: unknown[]) => {
      n += 1;
      const a = await push(`MG-${n}-A`, first);
      const b = await push(`MG-${n}-B`, second);
      const res = await submitAsCompany(app, a.token, { mergeCodes: [b.shortCode] });
      expect(res.statusCode, res.body).toBe(202);
      const blues = res.json().invoices as Json[];
      expect(blues.every((i) => i.status === "issued")).toBe(true);
      return { a, b, blues: blues.map((i) => i.id as string) };
    };
    const refund = (orderNo: string, body: unknown) =>
      openRequest(app, keys, { method: "POST", url: `/open/v1/receipt-codes/${orderNo}/refunds`, body });
    const invoice = async (id: string) =>
      (await app.ctx.database.db.select().from(invoices).where(eq(invoices.id, id)))[0]!;
    const redLines = async (id: string) =>
      (await app.ctx.database.db.select().from(invoiceLines).where(eq(invoiceLines.invoiceId, id))).map(
        (l) => ({
          blueLineNo: l.blueLineNo,
          quantity: l.quantity === null ? null : Number(l.quantity),
          amountIncludingTax: l.amountIncludingTax,
        }),
      );
    const hook = (type: string, match: (e: Json) => boolean) =>
      waitUntil(
        () =>
          merchant.received.map((r) => JSON.parse(r.body) as Json).find((e) => e.type === type && match(e)),
        `the ${type} webhook`,
      );

    it("an added receipt's refund of one line: a partial red of that line only, webhooks, console, open API", async () => {
      const { a, b, blues } = await merged([coffee, lunch], [tea, cake]);
      // The merged invoice: coffee, lunch, tea, cake; the added receipt's line 1 (tea) is its line 3.
      const res = await refund(b.orderNo, {
        refundNo: `${b.orderNo}-R1`,
        reason: "销货退回",
        lines: [{ lineNo: 1, quantity: "1" }],
      });
      expect(res.statusCode, res.body).toBe(201);
      const view = res.json();
      expect(view).toMatchObject({
        orderNo: b.orderNo,
        status: "reversing",
        totalAmount: "3.00",
        blueInvoiceId: blues[0],
        receiptCode: { status: "merged" },
      });
      expect(view.reversals).toEqual([{ blueInvoiceId: blues[0], redInvoiceId: view.redInvoiceId }]);
      expect(await redLines(view.redInvoiceId)).toEqual([
        { blueLineNo: 3, quantity: -1, amountIncludingTax: "-3.00" },
      ]);
      expect((await invoice(view.redInvoiceId)).status).toBe("issued");
      expect((await invoice(blues[0]!)).status).toBe("partially_reversed");
      const refunded = await hook("receipt_code.refunded", (e) => e.data.refundNo === `${b.orderNo}-R1`);
      expect(refunded.data).toMatchObject({ orderNo: b.orderNo, status: "reversing", totalAmount: "3.00" });
      const reversed = await hook("invoice.reversed", (e) => e.data.id === blues[0]);
      expect(reversed.data.reversal.totals.totalAmount).toBe("3.00");

      // The added receipt shows the invoice it was issued on, as the primary does.
      for (const code of [a, b]) {
        const got = await openRequest(app, keys, {
          method: "GET",
          url: `/open/v1/receipt-codes/${code.orderNo}`,
        });
        expect(got.statusCode).toBe(200);
        expect(
          got
            .json()
            .invoices.filter((i: Json) => i.type !== undefined)
            .map((i: Json) => i.id),
        ).toContain(blues[0]);
        expect(got.json().invoiceCount).toBe(1);
        const page = (await app.http.inject({ method: "GET", url: `/api/scan/${code.token}` })).json();
        expect(page.invoices.map((i: Json) => i.id)).toContain(blues[0]);
      }
      const primaryView = (
        await openRequest(app, keys, { method: "GET", url: `/open/v1/receipt-codes/${a.orderNo}` })
      ).json();
      const addedView = (
        await openRequest(app, keys, { method: "GET", url: `/open/v1/receipt-codes/${b.orderNo}` })
      ).json();
      expect(addedView.status).toBe("merged");
      expect(addedView.invoices).toEqual(
        primaryView.invoices.map((i: Json) => ({
          ...i,
          pdfUrl: expect.any(String),
          xmlUrl: expect.any(String),
        })),
      );

      // The console: on the added receipt's page and on the invoice's, under the added receipt's order.
      const user = await makeUser(app.ctx.database, { orgIds: [orgId] });
      const console = await loginAs(app, user.username, user.password);
      const onCode = (await console.get(`/orgs/${orgId}/receipt-codes/${b.id}/refunds`)).json();
      expect(onCode.items.map((r: Json) => r.refundNo)).toEqual([`${b.orderNo}-R1`]);
      const onInvoice = (await console.get(`/orgs/${orgId}/invoices/${blues[0]}/refunds`)).json();
      expect(onInvoice.items.map((r: Json) => [r.refundNo, r.orderNo])).toEqual([
        [`${b.orderNo}-R1`, b.orderNo],
      ]);
    });

    it("a whole refund takes only that receipt's lines; the last one, taking all that is left, is a full red", async () => {
      const { a, b, blues } = await merged([coffee, lunch], [tea, cake]);
      // The primary receipt's whole refund: its two lines (118.00), not the added receipt's.
      const first = await refund(a.orderNo, { refundNo: `${a.orderNo}-R`, reason: "销货退回" });
      expect(first.json()).toMatchObject({ status: "reversing", totalAmount: "118.00" });
      expect((await redLines(first.json().redInvoiceId)).map((l) => l.blueLineNo)).toEqual([1, 2]);
      // The added one: everything the invoice has left, so the invoice is reversed in full.
      const second = await refund(b.orderNo, { refundNo: `${b.orderNo}-R`, reason: "销货退回" });
      expect(second.json()).toMatchObject({ status: "reversing", totalAmount: "32.00" });
      expect((await redLines(second.json().redInvoiceId)).map((l) => l.blueLineNo)).toEqual([3, 4]);
      expect((await invoice(blues[0]!)).status).toBe("reversed");
      // Nothing is left for either.
      const again = await refund(b.orderNo, {
        refundNo: `${b.orderNo}-R2`,
        reason: "销售折让",
        amount: "1.00",
      });
      expect(again.statusCode).toBe(409);
      expect(again.json().error.code).toBe("NOTHING_LEFT_TO_REVERSE");
    });

    it("an amount (销售折让) is shared over that receipt's lines only; a line beyond it is refused, nothing made", async () => {
      const { b, blues } = await merged([coffee, lunch], [tea, cake]);
      const bad = await refund(b.orderNo, {
        refundNo: `${b.orderNo}-X`,
        reason: "销货退回",
        lines: [{ lineNo: 3 }],
      });
      expect(bad.statusCode).toBe(422);
      const tooMuch = await refund(b.orderNo, {
        refundNo: `${b.orderNo}-Y`,
        reason: "销售折让",
        amount: "40.00",
      });
      expect(tooMuch.statusCode).toBe(409);
      expect(tooMuch.json().error.code).toBe("NOTHING_LEFT_TO_REVERSE");
      expect(
        await app.ctx.database.db.select().from(invoices).where(eq(invoices.blueInvoiceId, blues[0]!)),
      ).toEqual([]);
      expect(
        await app.ctx.database.db
          .select()
          .from(refunds)
          .where(inArray(refunds.refundNo, [`${b.orderNo}-X`, `${b.orderNo}-Y`])),
      ).toEqual([]);
      const ok = await refund(b.orderNo, { refundNo: `${b.orderNo}-Z`, reason: "销售折让", amount: "16.00" });
      expect(ok.json()).toMatchObject({ status: "reversing", totalAmount: "16.00" });
      // 12 : 20 of 16.00 → 6.00 and 10.00, on the tea and the cake (invoice lines 3 and 4).
      expect(await redLines(ok.json().redInvoiceId)).toEqual([
        { blueLineNo: 3, quantity: null, amountIncludingTax: "-6.00" },
        { blueLineNo: 4, quantity: null, amountIncludingTax: "-10.00" },
      ]);
    });

    it("a merge split over the limit: the refund reverses each invoice carrying the receipt's lines, a cut line by quantity in order", async () => {
      await setLimit("1000.00");
      try {
        const big = { ...lunch, amount: "800.00" };
        const boxes = { ...cake, quantity: "5", unitPrice: "300.00", amount: "1500.00" };
        const { b, blues } = await merged([big], [boxes]);
        // The lunch alone, then 3 boxes (900.00), then 2 boxes (600.00): the boxes cut over two invoices.
        expect(blues).toHaveLength(3);
        const res = await refund(b.orderNo, {
          refundNo: `${b.orderNo}-R1`,
          reason: "销货退回",
          lines: [{ lineNo: 1, quantity: "4" }],
        });
        expect(res.statusCode, res.body).toBe(201);
        const view = res.json();
        expect(view).toMatchObject({ status: "reversing", totalAmount: "1200.00" });
        expect(view.reversals.map((r: Json) => r.blueInvoiceId)).toEqual([blues[1], blues[2]]);
        const [first, second] = view.reversals as Json[];
        // All the second invoice has: a full red invoice; one of the third's two boxes: a partial one.
        expect(await redLines(first!.redInvoiceId)).toEqual([
          { blueLineNo: 1, quantity: -3, amountIncludingTax: "-900.00" },
        ]);
        expect(await redLines(second!.redInvoiceId)).toEqual([
          { blueLineNo: 1, quantity: -1, amountIncludingTax: "-300.00" },
        ]);
        expect((await invoice(blues[1]!)).status).toBe("reversed");
        expect((await invoice(blues[2]!)).status).toBe("partially_reversed");
        // The primary receipt's invoice is untouched.
        expect(
          await app.ctx.database.db.select().from(invoices).where(eq(invoices.blueInvoiceId, blues[0]!)),
        ).toEqual([]);
        // The rest: the box left on the third invoice.
        const rest = await refund(b.orderNo, { refundNo: `${b.orderNo}-R2`, reason: "销货退回" });
        expect(rest.json()).toMatchObject({ status: "reversing", totalAmount: "300.00" });
        expect(rest.json().reversals.map((r: Json) => r.blueInvoiceId)).toEqual([blues[2]]);
        expect((await invoice(blues[2]!)).status).toBe("reversed");
        // Both refunds are listed on the third invoice in the console (the first as its second reversal).
        const user = await makeUser(app.ctx.database, { orgIds: [orgId] });
        const console = await loginAs(app, user.username, user.password);
        const listed = (await console.get(`/orgs/${orgId}/invoices/${blues[2]}/refunds`)).json();
        expect(listed.items.map((r: Json) => r.refundNo).sort()).toEqual([
          `${b.orderNo}-R1`,
          `${b.orderNo}-R2`,
        ]);
      } finally {
        await setLimit("10000.00");
      }
    });

    it("a code of its own split over the limit: a refund reverses each invoice carrying what it takes; a line beyond it is refused", async () => {
      await setLimit("1000.00");
      try {
        n += 1;
        const big = { ...lunch, amount: "800.00" };
        const boxes = { ...cake, quantity: "5", unitPrice: "300.00", amount: "1500.00" };
        const code = await push(`SP-${n}`, [big, boxes]);
        const submitted = await submitAsCompany(app, code.token);
        expect(submitted.statusCode, submitted.body).toBe(202);
        const blues = (submitted.json().invoices as Json[]).map((i) => i.id as string);
        // The lunch, then 3 boxes, then 2 boxes: the code's line 2 is cut over two invoices.
        expect(blues).toHaveLength(3);
        // More boxes than were bought: refused at once, nothing made.
        const tooMany = await refund(code.orderNo, {
          refundNo: `${code.orderNo}-R0`,
          reason: "销货退回",
          lines: [{ lineNo: 2, quantity: "6" }],
        });
        expect(tooMany.statusCode, tooMany.body).toBe(409);
        expect(tooMany.json().error.code).toBe("NOTHING_LEFT_TO_REVERSE");
        expect(
          await app.ctx.database.db.select().from(invoices).where(inArray(invoices.blueInvoiceId, blues)),
        ).toEqual([]);
        const res = await refund(code.orderNo, {
          refundNo: `${code.orderNo}-R1`,
          reason: "销货退回",
          lines: [{ lineNo: 2, quantity: "4" }],
        });
        expect(res.statusCode, res.body).toBe(201);
        expect(res.json()).toMatchObject({ status: "reversing", totalAmount: "1200.00" });
        const [first, second] = res.json().reversals as Json[];
        expect([first!.blueInvoiceId, second!.blueInvoiceId]).toEqual([blues[1], blues[2]]);
        expect(await redLines(first!.redInvoiceId)).toEqual([
          { blueLineNo: 1, quantity: -3, amountIncludingTax: "-900.00" },
        ]);
        expect(await redLines(second!.redInvoiceId)).toEqual([
          { blueLineNo: 1, quantity: -1, amountIncludingTax: "-300.00" },
        ]);
        expect((await invoice(blues[0]!)).status).toBe("issued");
        expect((await invoice(blues[1]!)).status).toBe("reversed");
        expect((await invoice(blues[2]!)).status).toBe("partially_reversed");
        // Everything left: the lunch's invoice and the last box, each in full.
        const rest = await refund(code.orderNo, { refundNo: `${code.orderNo}-R2`, reason: "销货退回" });
        expect(rest.statusCode, rest.body).toBe(201);
        expect(rest.json()).toMatchObject({ status: "reversing", totalAmount: "1100.00" });
        expect((rest.json().reversals as Json[]).map((r) => r.blueInvoiceId)).toEqual([blues[0], blues[2]]);
        expect((await invoice(blues[0]!)).status).toBe("reversed");
        expect((await invoice(blues[2]!)).status).toBe("reversed");
      } finally {
        await setLimit("10000.00");
      }
    });

    it("a split whose later invoice fails to reverse keeps what was made and leaves the rest to an operator, both in the note", async () => {
      await setLimit("1000.00");
      const { db } = app.ctx.database;
      // The database refuses the red invoice of the split's second invoice only: as a failure that
      // comes after the first red invoice was made (a test-only trigger, dropped below).
      const trigger = `refuse_red_${kind}_${Date.now()}`;
      try {
        n += 1;
        const big = { ...lunch, amount: "800.00" };
        const boxes = { ...cake, quantity: "5", unitPrice: "300.00", amount: "1500.00" };
        const code = await push(`SPF-${n}`, [big, boxes]);
        const submitted = await submitAsCompany(app, code.token);
        expect(submitted.statusCode, submitted.body).toBe(202);
        const blues = (submitted.json().invoices as Json[]).map((i) => i.id as string);
        expect(blues).toHaveLength(3);
        const second = await invoice(blues[1]!);
        await db.execute(
          sql.raw(`create function ${trigger}() returns trigger language plpgsql as $$
            begin raise exception 'refused for the test'; end $$`),
        );
        await db.execute(
          sql.raw(`create trigger ${trigger} before insert on invoices for each row
            when (new.blue_invoice_id = '${blues[1]}') execute function ${trigger}()`),
        );
        const res = await refund(code.orderNo, { refundNo: `${code.orderNo}-R1`, reason: "销货退回" });
        expect(res.statusCode, res.body).toBe(201);
        const view = res.json();
        expect(view).toMatchObject({ status: "manual", blueInvoiceId: blues[0] });
        expect(view.note).toBe(
          `已红冲1张发票；发票 ${second.number} 未能红冲（自动红冲失败），请在控制台处理`,
        );
        // What was made is kept and listed; nothing was made for the second or the third invoice.
        expect(view.reversals).toEqual([{ blueInvoiceId: blues[0], redInvoiceId: view.redInvoiceId }]);
        expect((await invoice(view.redInvoiceId)).totalAmount).toBe("-800.00");
        expect((await invoice(blues[0]!)).status).toBe("reversed");
        expect((await invoice(blues[1]!)).status).toBe("issued");
        expect((await invoice(blues[2]!)).status).toBe("issued");
        const reds = await db.select().from(invoices).where(inArray(invoices.blueInvoiceId, blues));
        expect(reds.map((r) => r.blueInvoiceId)).toEqual([blues[0]]);
        // A repeat of the refund answers what was recorded, and makes nothing more.
        const repeat = await refund(code.orderNo, { refundNo: `${code.orderNo}-R1`, reason: "销货退回" });
        expect(repeat.json()).toMatchObject({ status: "manual", note: view.note });
        expect(await db.select().from(invoices).where(inArray(invoices.blueInvoiceId, blues))).toHaveLength(
          1,
        );
      } finally {
        await db.execute(sql.raw(`drop trigger if exists ${trigger} on invoices`));
        await db.execute(sql.raw(`drop function if exists ${trigger}()`));
        await setLimit("10000.00");
      }
    });

    it("a channel that reverses only whole invoices leaves a part to an operator, with the reason", async () => {
      const { b, blues } = await merged([coffee, lunch], [tea, cake]);
      const blue = await invoice(blues[0]!);
      await app.ctx.database.db
        .update(taxBureauAccounts)
        .set({ channel: "kingdee" })
        .where(eq(taxBureauAccounts.id, blue.taxAccountId!));
      try {
        const res = await refund(b.orderNo, {
          refundNo: `${b.orderNo}-R`,
          reason: "销货退回",
          lines: [{ lineNo: 2 }],
        });
        expect(res.statusCode).toBe(201);
        expect(res.json()).toMatchObject({ status: "manual", blueInvoiceId: blues[0], redInvoiceId: null });
        expect(res.json().note).toContain("只能整张红冲");
        expect(
          await app.ctx.database.db.select().from(invoices).where(eq(invoices.blueInvoiceId, blues[0]!)),
        ).toEqual([]);
      } finally {
        await app.ctx.database.db
          .update(taxBureauAccounts)
          .set({ channel: "sandbox" })
          .where(eq(taxBureauAccounts.id, blue.taxAccountId!));
      }
      // 异常中心 lists it past the stuck threshold, opening the merged invoice's 红冲; an operator's
      // red invoice of that invoice settles it.
      const [row] = await app.ctx.database.db
        .select()
        .from(refunds)
        .where(eq(refunds.refundNo, `${b.orderNo}-R`));
      await app.ctx.database.db
        .update(refunds)
        .set({ createdAt: new Date(Date.now() - 40 * 60_000) })
        .where(eq(refunds.id, row!.id));
      const user = await makeUser(app.ctx.database, { orgIds: [orgId] });
      const operator = await loginAs(app, user.username, user.password);
      const listed = async () =>
        ((await operator.get("/exceptions?kind=refund_unreversed")).json().items as Json[]).filter(
          (i) => i.id === row!.id,
        );
      expect(await listed()).toMatchObject([{ invoiceId: blues[0], action: { key: "reverse" } }]);
      const reversed = await operator.post(`/orgs/${orgId}/invoices/${blues[0]}/reverse`, {
        reason: "销货退回",
        lines: [{ lineNo: 4 }],
      });
      expect(reversed.statusCode, reversed.body).toBe(201);
      expect(await listed()).toEqual([]);
    });

    it("an added receipt refunded while its merged invoice is being issued waits, and the sweep reverses it once issued", async () => {
      const { a, b, blues } = await merged([coffee, lunch], [tea, cake]);
      // As between the merged submit and the channel's answer.
      await app.ctx.database.db
        .update(receiptCodes)
        .set({ status: "issuing" })
        .where(eq(receiptCodes.id, a.id));
      const res = await refund(b.orderNo, {
        refundNo: `${b.orderNo}-R`,
        reason: "销货退回",
        lines: [{ lineNo: 2 }],
      });
      expect(res.json()).toMatchObject({ status: "awaiting_invoice", redInvoiceId: null });
      const [row] = await app.ctx.database.db
        .select()
        .from(refunds)
        .where(eq(refunds.refundNo, `${b.orderNo}-R`));
      const sweep = refundsSweep(app.ctx);
      expect(await sweep.claim(100)).not.toContain(row!.id);
      await app.ctx.database.db
        .update(receiptCodes)
        .set({ status: "invoiced" })
        .where(eq(receiptCodes.id, a.id));
      expect(await sweep.claim(100)).toContain(row!.id);
      // Applied once: by this call, or by the app's own sweep if that came first.
      await applyAwaitingRefund(app.ctx, row!.id);
      expect(await applyAwaitingRefund(app.ctx, row!.id)).toBe(false);
      const done = await waitUntil(async () => {
        const [r] = await app.ctx.database.db.select().from(refunds).where(eq(refunds.id, row!.id));
        return r?.redInvoiceId ? r : undefined;
      }, "the refund applied");
      expect(
        await app.ctx.database.db.select().from(invoices).where(eq(invoices.blueInvoiceId, blues[0]!)),
      ).toHaveLength(1);
      expect(done).toMatchObject({ status: "reversing", totalAmount: "20.00", blueInvoiceId: blues[0] });
      expect(await redLines(done!.redInvoiceId!)).toEqual([
        { blueLineNo: 4, quantity: null, amountIncludingTax: "-20.00" },
      ]);
    });

    it("refund and merged submit one after the other (PGlite and PostgreSQL): the second sees what the first left", async () => {
      n += 1;
      // Refund first: the merged invoice carries what is left of the added receipt.
      const a = await push(`MS-${n}-A`, [lunch]);
      const b = await push(`MS-${n}-B`, [tea, cake]);
      const r = await refund(b.orderNo, {
        refundNo: `${b.orderNo}-R`,
        reason: "销货退回",
        lines: [{ lineNo: 2 }],
      });
      expect(r.json()).toMatchObject({
        status: "reduced",
        receiptCode: { totals: { totalAmount: "12.00" } },
      });
      const submitted = await submitAsCompany(app, a.token, { mergeCodes: [b.shortCode] });
      expect(submitted.statusCode, submitted.body).toBe(202);
      expect(submitted.json().invoices[0].totals.totalAmount).toBe("100.00");
      // Then a refund of the rest (line 1 as first pushed) reverses the tea on the merged invoice.
      const after = await refund(b.orderNo, {
        refundNo: `${b.orderNo}-R2`,
        reason: "销货退回",
        lines: [{ lineNo: 1 }],
      });
      expect(after.json()).toMatchObject({ status: "reversing", totalAmount: "12.00" });
      expect(await redLines(after.json().redInvoiceId)).toEqual([
        { blueLineNo: 2, quantity: -4, amountIncludingTax: "-12.00" },
      ]);
      const gone = await refund(b.orderNo, {
        refundNo: `${b.orderNo}-R3`,
        reason: "销货退回",
        lines: [{ lineNo: 2 }],
      });
      expect(gone.statusCode).toBe(409);
    });
  });
}
