import { eq } from "drizzle-orm";
import { afterAll, beforeAll, expect, it } from "vitest";
import { createTestApp, submitAsCompany, type TestApp } from "../../../test/support/app";
import { type ConsoleClient, loginAs, makeUser } from "../../../test/support/console";
import { describeEachDatabase } from "../../../test/support/db";
import { makeOrganization, makeReceiptCode, makeUscc } from "../../../test/support/factories";
import { waitUntil } from "../../../test/support/wait";
import { correctionRequests, invoices, receiptCodeConfigs, smsOutbox } from "../../platform/db/schema";
import { refundOrder } from "../refunds/refunds.service";

/**
 * 换开 over HTTP: the consumer asks on the re-scan page, the operator approves or refuses in the
 * console (or the organization's rule approves), approval is a red invoice and the corrected one from
 * the same purchase, exactly once; the console's 红冲并重开 is the same function.
 */
describeEachDatabase("换开 (corrections)", (kind) => {
  let app: TestApp;
  let orgId: string;
  let operator: ConsoleClient;
  beforeAll(async () => {
    app = await createTestApp(kind);
    orgId = (await makeOrganization(app.ctx.database)).id;
    const user = await makeUser(app.ctx.database, { role: "operator", orgIds: [orgId] });
    operator = await loginAs(app, user.username, user.password);
  });
  afterAll(() => app?.close());

  const invoicedCode = async () => {
    const code = await makeReceiptCode(app.ctx, orgId);
    const submitted = await submitAsCompany(app, code.token);
    expect(submitted.json().status).toBe("issued");
    return { code, blueId: submitted.json().invoices[0].id as string };
  };
  const corrected = (taxId = makeUscc("91440300")) => ({
    reason: "title",
    invoiceType: "digital_normal",
    buyer: { type: "enterprise", name: "深圳正确名称有限公司", taxId },
    mobile: "13800138000",
  });
  const apply = (token: string, body: unknown) =>
    app.http.inject({ method: "POST", url: `/api/scan/${token}/corrections`, payload: body as object });
  const rowsOf = async (codeId: string) =>
    app.ctx.database.db.select().from(invoices).where(eq(invoices.receiptCodeId, codeId));

  it("refuses a corrected buyer the submit's rules refuse, and a second open request", async () => {
    const { code } = await invoicedCode();
    const bad = await apply(code.token, { ...corrected("12345"), reason: "tax_id" });
    expect(bad.statusCode).toBe(422);
    expect(Object.keys(bad.json().error.details.fields)).toContain("buyer.taxId");
    const badReason = await apply(code.token, { ...corrected(), reason: "whatever" });
    expect(badReason.statusCode).toBe(422);
    expect((await apply(code.token, corrected())).statusCode).toBe(201);
    const twice = await apply(code.token, corrected());
    expect(twice.statusCode).toBe(409);
    expect(twice.json().error.message).toContain("待处理");
  });

  it("approved: the old invoice is reversed, the corrected one issued once from the same purchase, the consumer told", async () => {
    const { code, blueId } = await invoicedCode();
    const applied = await apply(code.token, corrected());
    expect(applied.json()).toMatchObject({ status: "pending", reasonLabel: "抬头错误", invoiceId: blueId });
    const listed = (await operator.get(`/orgs/${orgId}/corrections?status=pending`)).json().items;
    const mine = listed.find((c: { id: string }) => c.id === applied.json().id);
    expect(mine).toMatchObject({
      oldBuyer: { name: "上海某某科技有限公司" },
      buyer: { name: "深圳正确名称有限公司" },
    });

    // Two operators press 同意 at once: one decision, one reissue.
    const [a, b] = await Promise.all([
      operator.post(`/orgs/${orgId}/corrections/${mine.id}/approve`),
      operator.post(`/orgs/${orgId}/corrections/${mine.id}/approve`),
    ]);
    expect([a.statusCode, b.statusCode].sort()).toEqual([200, 409]);
    const approved = (a.statusCode === 200 ? a : b).json();
    expect(approved).toMatchObject({ status: "approved", redInvoiceId: expect.any(String) });

    const rows = await rowsOf(code.id);
    const old = rows.find((r) => r.id === blueId)!;
    const red = rows.find((r) => r.color === "red")!;
    const fresh = rows.find((r) => r.reissueOfInvoiceId === blueId)!;
    expect(old.status).toBe("reversed");
    expect(red).toMatchObject({
      status: "issued",
      blueInvoiceId: blueId,
      totalAmount: `-${old.totalAmount}`,
    });
    expect(fresh).toMatchObject({
      id: approved.newInvoiceId,
      color: "blue",
      status: "issued",
      buyerName: "深圳正确名称有限公司",
      totalAmount: old.totalAmount,
    });
    expect(rows.filter((r) => r.color === "blue")).toHaveLength(2);
    // The re-scan page shows the new invoice, and the request's outcome.
    const view = (await app.http.inject({ method: "GET", url: `/api/scan/${code.token}` })).json();
    expect(view.invoices.map((i: { id: string }) => i.id)).toContain(fresh.id);
    const mineNow = (
      await app.http.inject({ method: "GET", url: `/api/scan/${code.token}/corrections` })
    ).json();
    expect(mineNow.items[0]).toMatchObject({ status: "approved", newInvoiceId: fresh.id });
    const sms = await waitUntil(async () => {
      const all = await app.ctx.database.db
        .select()
        .from(smsOutbox)
        .where(eq(smsOutbox.mobile, "13800138000"));
      return all.find((m) => m.text.includes(code.token));
    }, "the approval SMS, pointing at the code's page");
    expect(sms.mobile).toBe("13800138000");
    // Nothing left to correct: the old one is reversed, the new one may be corrected in turn.
    const again = await apply(code.token, { ...corrected(), invoiceId: blueId });
    expect(again.statusCode).toBe(409);
  });

  it("refused: nothing is reversed and the consumer is told why", async () => {
    const { code, blueId } = await invoicedCode();
    const applied = (await apply(code.token, corrected())).json();
    const missing = await operator.post(`/orgs/${orgId}/corrections/${applied.id}/refuse`, {});
    expect(missing.statusCode).toBe(422);
    const res = await operator.post(`/orgs/${orgId}/corrections/${applied.id}/refuse`, {
      reason: "抬头与付款单位不符",
    });
    expect(res.json()).toMatchObject({ status: "refused", refusalReason: "抬头与付款单位不符" });
    const rows = await rowsOf(code.id);
    expect(rows.map((r) => [r.id, r.status])).toEqual([[blueId, "issued"]]);
    await waitUntil(async () => {
      const all = await app.ctx.database.db
        .select()
        .from(smsOutbox)
        .where(eq(smsOutbox.mobile, "13800138000"));
      return all.find((m) => m.text.includes(code.token));
    }, "the refusal SMS, pointing at the code's page");
    const mine = (
      await app.http.inject({ method: "GET", url: `/api/scan/${code.token}/corrections` })
    ).json();
    expect(mine.items[0]).toMatchObject({ status: "refused", refusalReason: "抬头与付款单位不符" });
  });

  it("the organization's rule approves within N days of issue", async () => {
    await app.ctx.database.db
      .update(receiptCodeConfigs)
      .set({ correctionAutoApproveDays: 7 })
      .where(eq(receiptCodeConfigs.orgId, orgId));
    try {
      const { code, blueId } = await invoicedCode();
      const applied = (await apply(code.token, { ...corrected(), reason: "other", note: "写错了" })).json();
      expect(applied).toMatchObject({
        status: "approved",
        decidedBy: "auto",
        newInvoiceId: expect.any(String),
      });
      const [old] = await app.ctx.database.db.select().from(invoices).where(eq(invoices.id, blueId));
      expect(old?.status).toBe("reversed");
      // Outside the window: it waits for an operator.
      const late = await invoicedCode();
      await app.ctx.database.db
        .update(invoices)
        .set({ issuedAt: new Date(Date.now() - 8 * 24 * 3600_000) })
        .where(eq(invoices.id, late.blueId));
      expect((await apply(late.code.token, corrected())).json().status).toBe("pending");
    } finally {
      await app.ctx.database.db
        .update(receiptCodeConfigs)
        .set({ correctionAutoApproveDays: null })
        .where(eq(receiptCodeConfigs.orgId, orgId));
    }
  });

  it("the console's 红冲并重开 reverses and reissues once; a wrong buyer is refused with its field", async () => {
    const { code, blueId } = await invoicedCode();
    const bad = await operator.post(`/orgs/${orgId}/invoices/${blueId}/reissue`, {
      invoiceType: "digital_normal",
      buyer: { type: "enterprise", name: "某公司" },
    });
    expect(bad.statusCode).toBe(422);
    expect(Object.keys(bad.json().error.details.fields)).toContain("buyer.taxId");
    expect(await rowsOf(code.id)).toHaveLength(1);
    const body = { invoiceType: "digital_normal", buyer: { type: "individual", name: "张三" } };
    const done = await operator.post(`/orgs/${orgId}/invoices/${blueId}/reissue`, body);
    expect(done.statusCode).toBe(201);
    const twice = await operator.post(`/orgs/${orgId}/invoices/${blueId}/reissue`, body);
    expect(twice.statusCode).toBe(409);
    const rows = await rowsOf(code.id);
    expect(rows.find((r) => r.id === done.json().newInvoiceId)).toMatchObject({
      status: "issued",
      buyerName: "张三",
      buyerType: "individual",
      reissueOfInvoiceId: blueId,
    });
    // Each invoice's console detail links the other.
    const newId = done.json().newInvoiceId;
    const old = (await operator.get(`/orgs/${orgId}/invoices/${blueId}`)).json();
    expect(old).toMatchObject({
      status: "reversed",
      reissueOf: null,
      reissuedAs: { id: newId, status: "issued" },
    });
    const fresh = (await operator.get(`/orgs/${orgId}/invoices/${newId}`)).json();
    expect(fresh).toMatchObject({ reissueOf: { id: blueId, status: "reversed" }, reissuedAs: null });
    expect(await app.ctx.database.db.select().from(correctionRequests)).not.toHaveLength(0);
  });

  const setConfig = (values: Partial<typeof receiptCodeConfigs.$inferInsert>) =>
    app.ctx.database.db.update(receiptCodeConfigs).set(values).where(eq(receiptCodeConfigs.orgId, orgId));

  it("a split purchase: the request covers every invoice, approval re-issues them all to the new title", async () => {
    const [before] = await app.ctx.database.db
      .select()
      .from(receiptCodeConfigs)
      .where(eq(receiptCodeConfigs.orgId, orgId));
    // 800.00 over a 500.00 limit: two blue invoices from one submission.
    await setConfig({ limitAmount: "500.00", limitText: "500.00", overLimitPolicy: "split" });
    try {
      const code = await makeReceiptCode(app.ctx, orgId);
      const submitted = await submitAsCompany(app, code.token);
      const blues = submitted.json().invoices as Array<{ id: string; number: string }>;
      expect(blues).toHaveLength(2);
      // A page that showed only one of them (or an invoice of another purchase) is out of date.
      const stale = await apply(code.token, { ...corrected(), invoiceIds: [blues[0]!.id] });
      expect(stale.statusCode).toBe(409);
      expect(stale.json().error.message).toContain("刷新");
      const twice = await apply(code.token, { ...corrected(), invoiceIds: [blues[0]!.id, blues[0]!.id] });
      expect(twice.statusCode).toBe(409);
      const applied = await apply(code.token, { ...corrected(), invoiceIds: blues.map((b) => b.id) });
      expect(applied.statusCode, applied.body).toBe(201);
      expect(applied.json()).toMatchObject({ status: "pending", invoiceId: blues[0]!.id });
      // Asking again about the other invoice of the same purchase: the same open request.
      const again = await apply(code.token, { ...corrected(), invoiceId: blues[1]!.id });
      expect(again.statusCode).toBe(409);
      expect(again.json().error.message).toContain("待处理");

      const listed = (await operator.get(`/orgs/${orgId}/corrections?status=pending`)).json().items;
      const mine = listed.find((c: { id: string }) => c.id === applied.json().id);
      expect(mine.toReissue.sort()).toEqual(blues.map((b) => b.number).sort());
      const done = await operator.post(`/orgs/${orgId}/corrections/${mine.id}/approve`);
      expect(done.statusCode, done.body).toBe(200);

      const rows = await rowsOf(code.id);
      for (const blue of blues) {
        expect(rows.find((r) => r.id === blue.id)?.status).toBe("reversed");
        expect(rows.find((r) => r.color === "red" && r.blueInvoiceId === blue.id)?.status).toBe("issued");
        expect(rows.find((r) => r.reissueOfInvoiceId === blue.id)).toMatchObject({
          status: "issued",
          buyerName: "深圳正确名称有限公司",
        });
      }
      const view = (await app.http.inject({ method: "GET", url: `/api/scan/${code.token}` })).json();
      const live = view.invoices.filter((i: { color: string; status: string }) => i.status === "issued");
      expect(
        live
          .filter((i: { color: string }) => i.color === "blue")
          .map((i: { buyer: { name: string } }) => i.buyer.name),
      ).toEqual(["深圳正确名称有限公司", "深圳正确名称有限公司"]);
    } finally {
      await setConfig({
        limitAmount: before!.limitAmount,
        limitText: before!.limitText,
        overLimitPolicy: before!.overLimitPolicy,
      });
    }
  });

  it("a merged receipt: any code of the submission applies and sees the outcome; the console shows every receipt", async () => {
    await setConfig({ mergeEnabled: true });
    try {
      const [a, b] = [await makeReceiptCode(app.ctx, orgId), await makeReceiptCode(app.ctx, orgId)];
      const submitted = await submitAsCompany(app, a.token, { mergeCodes: [b.shortCode] });
      expect(submitted.statusCode, submitted.body).toBe(202);
      const [blue] = submitted.json().invoices as Array<{ id: string; number: string }>;
      // From the receipt that was added to the merge.
      const applied = await apply(b.token, corrected());
      expect(applied.statusCode, applied.body).toBe(201);
      expect(applied.json()).toMatchObject({ invoiceId: blue!.id, invoiceNumber: blue!.number });
      for (const token of [a.token, b.token]) {
        const mine = (await app.http.inject({ method: "GET", url: `/api/scan/${token}/corrections` })).json();
        expect(mine.items.map((c: { id: string }) => c.id)).toEqual([applied.json().id]);
      }
      const listed = (await operator.get(`/orgs/${orgId}/corrections?status=pending`)).json().items;
      const mine = listed.find((c: { id: string }) => c.id === applied.json().id);
      expect(mine).toMatchObject({
        orderNo: a.serialNo,
        orderNos: [a.serialNo, b.serialNo],
        toReissue: [blue!.number],
      });
      const refused = await operator.post(`/orgs/${orgId}/corrections/${mine.id}/refuse`, {
        reason: "请联系财务",
      });
      expect(refused.statusCode).toBe(200);
      const seen = (await app.http.inject({ method: "GET", url: `/api/scan/${b.token}/corrections` })).json();
      expect(seen.items[0]).toMatchObject({ status: "refused", refusalReason: "请联系财务" });
      // Applied again from the submitted code, and approved: the new invoice on both pages.
      const second = await apply(a.token, corrected());
      expect(second.statusCode, second.body).toBe(201);
      const ok = await operator.post(`/orgs/${orgId}/corrections/${second.json().id}/approve`);
      expect(ok.statusCode, ok.body).toBe(200);
      for (const token of [a.token, b.token]) {
        const view = (await app.http.inject({ method: "GET", url: `/api/scan/${token}` })).json();
        expect(view.invoices.map((i: { id: string }) => i.id)).toContain(ok.json().newInvoiceId);
      }
    } finally {
      await setConfig({ mergeEnabled: false });
    }
  });

  it("refuses a correction that changes nothing, and says so at the title", async () => {
    const { code } = await invoicedCode();
    const [row] = await rowsOf(code.id);
    const same = await apply(code.token, {
      reason: "title",
      invoiceType: row!.invoiceType,
      buyer: { type: row!.buyerType, name: row!.buyerName, taxId: row!.buyerTaxId },
    });
    expect(same.statusCode).toBe(422);
    expect(same.json().error.details.fields["buyer.name"]).toContain("相同");
  });

  it("a split purchase with one invoice partly refunded: refused before anything is reversed", async () => {
    const [before] = await app.ctx.database.db
      .select()
      .from(receiptCodeConfigs)
      .where(eq(receiptCodeConfigs.orgId, orgId));
    await setConfig({ limitAmount: "500.00", limitText: "500.00", overLimitPolicy: "split" });
    try {
      const code = await makeReceiptCode(app.ctx, orgId);
      const blues = (await submitAsCompany(app, code.token)).json().invoices as Array<{ id: string }>;
      expect(blues).toHaveLength(2);
      const applied = await apply(code.token, corrected());
      expect(applied.statusCode, applied.body).toBe(201);
      const refund = await refundOrder(app.ctx, {
        actor: { type: "app", appKey: "test", orgId },
        orderNo: code.serialNo,
        // 10.00 off the first line (午餐), which only one of the two invoices holds.
        body: { refundNo: `R-${code.serialNo}`, reason: "销售折让", lines: [{ lineNo: 1, amount: "10.00" }] },
      });
      expect(refund.view.status).toBe("reversing");
      const statuses = async () =>
        (await rowsOf(code.id)).filter((r) => r.color === "blue").map((r) => r.status);
      expect((await statuses()).sort()).toEqual(["issued", "partially_reversed"]);
      const approve = await operator.post(`/orgs/${orgId}/corrections/${applied.json().id}/approve`);
      expect(approve.statusCode).toBe(409);
      expect(approve.json().error.message).toContain("部分红冲");
      const rows = await rowsOf(code.id);
      expect(rows.filter((r) => r.reissueOfInvoiceId)).toEqual([]);
      expect(blues.map((b) => rows.find((r) => r.id === b.id)?.status)).not.toContain("reversed");
      const [request] = await app.ctx.database.db
        .select()
        .from(correctionRequests)
        .where(eq(correctionRequests.id, applied.json().id));
      expect(request?.status).toBe("pending");
      // And a new request is refused at once.
      await operator.post(`/orgs/${orgId}/corrections/${applied.json().id}/refuse`, { reason: "已退款" });
      const again = await apply(code.token, corrected());
      expect(again.statusCode).toBe(409);
      expect(again.json().error.message).toContain("部分红冲");
    } finally {
      await setConfig({
        limitAmount: before!.limitAmount,
        limitText: before!.limitText,
        overLimitPolicy: before!.overLimitPolicy,
      });
    }
  });
});
