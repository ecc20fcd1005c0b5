import { eq } from "drizzle-orm";
import { afterEach, beforeEach, expect, it } from "vitest";
import { createTestApp, submitAsCompany, type TestApp } from "../../../test/support/app";
import { type ConsoleClient, loginAs, makeUser } from "../../../test/support/console";
import { describeEachDatabase } from "../../../test/support/db";
import { makeOrganization, makeReceiptCode, makeUscc } from "../../../test/support/factories";
import { makeCredentials, openRequest } from "../../../test/support/open-api";
import { waitUntil } from "../../../test/support/wait";
import { deliveries, invoices, receiptCodes, refunds, taxBureauAccounts } from "../../platform/db/schema";
import { issueNow } from "../invoices/issuing.attempt";
import { applyAwaitingRefund } from "../refunds/refunds.service";

/**
 * 异常中心 over HTTP: each kind appears when its condition holds and is gone after its action (or
 * the page's action, through the existing routes); the list and counts stay within the user's
 * organizations; acting needs the operator role. On both databases: the kinds are SQL of their own.
 */
describeEachDatabase("异常中心", (kind) => {
  let app: TestApp;
  let orgA: { id: string };
  let orgB: { id: string };
  let admin: ConsoleClient;
  let operator: ConsoleClient;
  let viewer: ConsoleClient;
  let adminB: ConsoleClient;

  beforeEach(async () => {
    app = await createTestApp(kind);
    const db = app.ctx.database;
    orgA = await makeOrganization(db, { name: "甲酒店有限公司" });
    orgB = await makeOrganization(db, { name: "乙超市有限公司" });
    const login = async (role: "admin" | "operator" | "viewer", orgId: string) => {
      const u = await makeUser(db, { role, orgIds: [orgId] });
      return loginAs(app, u.username, u.password);
    };
    admin = await login("admin", orgA.id);
    operator = await login("operator", orgA.id);
    viewer = await login("viewer", orgA.id);
    adminB = await login("admin", orgB.id);
  });
  afterEach(() => app.close());

  const setChannel = (settings: object) =>
    app.ctx.database.db
      .update(taxBureauAccounts)
      .set({ settings })
      .where(eq(taxBureauAccounts.orgId, orgA.id));

  async function submitted() {
    const code = await makeReceiptCode(app.ctx, orgA.id);
    const res = await app.http.inject({
      method: "POST",
      url: `/api/scan/${code.token}/submit`,
      payload: {
        invoiceType: "digital_special",
        buyer: { type: "enterprise", name: "上海某某科技有限公司", taxId: makeUscc("91310000") },
        email: "buyer@example.com",
      },
    });
    expect(res.statusCode).toBe(202);
    return { code, invoice: res.json().invoices[0] as { id: string; status: string } };
  }

  type Item = { kind: string; id: string; orgId: string; invoiceId: string | null; action: { key: string } };
  const listed = async (client: ConsoleClient, k: string, orgId?: string) => {
    const res = await client.get(`/exceptions?kind=${k}${orgId ? `&orgId=${orgId}` : ""}`);
    expect(res.statusCode, res.body).toBe(200);
    return res.json().items as Item[];
  };
  const act = (client: ConsoleClient, item: Item) =>
    client.post(`/orgs/${item.orgId}/exceptions/${item.kind}/${item.id}/action`);

  it("a failed invoice: listed with 重试, counted, gone once retried (operators only, own organizations)", async () => {
    await setChannel({ mode: "reject", message: "购买方税号状态异常" });
    const { invoice } = await submitted();
    expect(invoice.status).toBe("failed");
    const [item] = await listed(viewer, "invoice_failed");
    expect(item).toMatchObject({ id: invoice.id, invoiceId: invoice.id, action: { key: "retry" } });
    const all = (await viewer.get("/exceptions")).json();
    expect(all.items[0]).toMatchObject({
      detail: "购买方税号状态异常",
      subject: expect.stringContaining("¥800.00"),
    });
    expect(all.kinds.find((k: { kind: string }) => k.kind === "invoice_failed").count).toBe(1);
    expect((await viewer.get("/exceptions/counts")).json()).toEqual({ exceptions: 1, awaitingReview: 0 });
    // Another organization's admin sees none of it and cannot act on it.
    expect(await listed(adminB, "invoice_failed")).toEqual([]);
    expect((await adminB.get(`/exceptions?orgId=${orgA.id}`)).statusCode).toBe(404);
    expect((await act(adminB, item!)).statusCode).toBe(404);
    expect((await act(viewer, item!)).statusCode).toBe(403);

    await setChannel({});
    expect((await act(operator, item!)).statusCode).toBe(204);
    const [row] = await app.ctx.database.db.select().from(invoices).where(eq(invoices.id, invoice.id));
    expect(row?.status).toBe("issued");
    expect(await listed(viewer, "invoice_failed")).toEqual([]);
    expect((await viewer.get("/exceptions/counts")).json().exceptions).toBe(0);
    // Acting again: no longer an exception.
    expect((await act(operator, item!)).statusCode).toBe(409);
  });

  it("an invoice issuing too long (the organization's threshold): listed, issued by 立即重试", async () => {
    await setChannel({ mode: "offline" });
    const { invoice } = await submitted();
    expect(invoice.status).toBe("issuing");
    // Younger than the threshold (30 minutes by default): not yet an exception.
    expect(await listed(operator, "invoice_stuck")).toEqual([]);
    await app.ctx.database.db
      .update(invoices)
      .set({ createdAt: new Date(Date.now() - 20 * 60_000) })
      .where(eq(invoices.id, invoice.id));
    expect(await listed(operator, "invoice_stuck")).toEqual([]);
    const tighter = await admin.put(`/orgs/${orgA.id}/exception-settings`, {
      stuckMinutes: 10,
      expiringDays: 3,
      creditThreshold: null,
    });
    expect(tighter.statusCode, tighter.body).toBe(200);
    expect((await operator.put(`/orgs/${orgA.id}/exception-settings`, tighter.json())).statusCode).toBe(403);
    const bad = await admin.put(`/orgs/${orgA.id}/exception-settings`, {
      stuckMinutes: 0,
      expiringDays: 3,
      creditThreshold: "x",
    });
    expect(bad.statusCode).toBe(422);
    expect(Object.keys(bad.json().error.details.fields).sort()).toEqual(["creditThreshold", "stuckMinutes"]);
    const [item] = await listed(operator, "invoice_stuck");
    expect(item).toMatchObject({ id: invoice.id, action: { key: "issue_now" } });

    await setChannel({});
    expect((await act(operator, item!)).statusCode).toBe(204);
    const [row] = await app.ctx.database.db.select().from(invoices).where(eq(invoices.id, invoice.id));
    expect(row?.status).toBe("issued");
    expect(await listed(operator, "invoice_stuck")).toEqual([]);
  });

  it("a failed delivery: listed with 重新发送 to the same recipient, gone once resent", async () => {
    const { invoice } = await submitted();
    expect(invoice.status).toBe("issued");
    await waitUntil(async () => {
      const [d] = await app.ctx.database.db
        .select()
        .from(deliveries)
        .where(eq(deliveries.invoiceId, invoice.id));
      return d?.status === "sent" ? d : undefined;
    }, "the first sending done");
    // Then say it failed for good, as the delivery sweep does after its retries.
    await app.ctx.database.db
      .update(deliveries)
      .set({ status: "failed", lastError: "550 mailbox unavailable" })
      .where(eq(deliveries.invoiceId, invoice.id));
    const [item] = await listed(operator, "delivery_failed");
    expect(item).toMatchObject({ invoiceId: invoice.id, action: { key: "resend" } });
    expect((await act(operator, item!)).statusCode).toBe(204);
    const rows = await app.ctx.database.db
      .select()
      .from(deliveries)
      .where(eq(deliveries.invoiceId, invoice.id));
    expect(rows.map((r) => [r.recipient, r.reason]).sort()).toEqual([
      ["buyer@example.com", "operator"],
      ["buyer@example.com", "submit"],
    ]);
    expect(await listed(operator, "delivery_failed")).toEqual([]);
  });

  it("an unused code about to expire (N days, setting): listed until it is no longer unused", async () => {
    const code = await makeReceiptCode(app.ctx, orgA.id);
    expect(await listed(operator, "receipt_code_expiring")).toEqual([]);
    await app.ctx.database.db
      .update(receiptCodes)
      .set({ expiresAt: new Date(Date.now() + 2 * 86_400_000) })
      .where(eq(receiptCodes.id, code.id));
    const [item] = await listed(operator, "receipt_code_expiring");
    expect(item).toMatchObject({ id: code.id, action: { key: "open_code" } });
    await admin.put(`/orgs/${orgA.id}/exception-settings`, {
      stuckMinutes: 30,
      expiringDays: 1,
      creditThreshold: null,
    });
    expect(await listed(operator, "receipt_code_expiring")).toEqual([]);
    await admin.put(`/orgs/${orgA.id}/exception-settings`, {
      stuckMinutes: 30,
      expiringDays: 3,
      creditThreshold: null,
    });
    expect(await listed(operator, "receipt_code_expiring")).toHaveLength(1);
    // The page's action opens the code; disabling it (or its use) ends the exception.
    expect((await operator.post(`/orgs/${orgA.id}/receipt-codes/${code.id}/disable`)).statusCode).toBe(200);
    expect(await listed(operator, "receipt_code_expiring")).toEqual([]);
  });

  it("an account needing re-authentication, and one with little 授信额度: gone after 测试连接 finds it fine", async () => {
    const [account] = await app.ctx.database.db
      .update(taxBureauAccounts)
      .set({
        status: "reauth",
        statusProblem: "identity_verification_due",
        statusMessage: "需要实人认证",
        creditAvailable: "500.00",
        creditReportedAt: new Date(),
      })
      .where(eq(taxBureauAccounts.orgId, orgA.id))
      .returning();
    const [reauth] = await listed(operator, "account_status");
    expect(reauth).toMatchObject({ id: account!.id, action: { key: "reauthenticate" } });
    const [credit] = await listed(operator, "credit_low");
    expect(credit).toMatchObject({ id: account!.id });
    // A threshold below what is available: not shown; none set: not watched.
    await admin.put(`/orgs/${orgA.id}/exception-settings`, {
      stuckMinutes: 30,
      expiringDays: 3,
      creditThreshold: "400",
    });
    expect(await listed(operator, "credit_low")).toEqual([]);
    await admin.put(`/orgs/${orgA.id}/exception-settings`, {
      stuckMinutes: 30,
      expiringDays: 3,
      creditThreshold: "600",
    });
    expect(await listed(operator, "credit_low")).toHaveLength(1);
    expect((await act(operator, reauth!)).statusCode).toBe(409); // done on the account page

    // 重新认证 on the account page, then 测试连接: the sandbox is online and reports no credit line.
    const test = await admin.post(`/orgs/${orgA.id}/tax-accounts/${account!.id}/test`);
    expect(test.statusCode, test.body).toBe(200);
    expect(await listed(operator, "account_status")).toEqual([]);
    expect(await listed(operator, "credit_low")).toEqual([]);
  });

  it("a red invoice waiting for its 确认单, then refused: 查看, then 重新红冲 on the blue one, gone once reversed anew", async () => {
    await setChannel({ redConfirmation: "required" });
    const { invoice: blue } = await submitted();
    expect(blue.status).toBe("issued");
    const reversed = await operator.post(`/orgs/${orgA.id}/invoices/${blue.id}/reverse`, {
      reason: "销货退回",
    });
    expect(reversed.statusCode, reversed.body).toBe(201);
    const red = reversed.json() as { id: string };
    const [waiting] = await listed(viewer, "red_confirmation_pending");
    expect(waiting).toMatchObject({ id: red.id, invoiceId: red.id, action: { key: "open_invoice" } });

    // The buyer refuses it (the sandbox's stand-in in the console): the blue one is to be reversed anew.
    const refused = await operator.post(`/orgs/${orgA.id}/invoices/${red.id}/sandbox-confirmation`, {
      decision: "refused",
    });
    expect(refused.statusCode, refused.body).toBe(200);
    expect(await listed(viewer, "red_confirmation_pending")).toEqual([]);
    expect(await listed(viewer, "invoice_failed")).toEqual([]);
    const [closed] = await listed(viewer, "red_confirmation_closed");
    expect(closed).toMatchObject({ id: red.id, invoiceId: blue.id, action: { key: "reverse" } });

    // 重新红冲 opens the reversal of the blue invoice: a new red invoice ends the exception.
    await setChannel({});
    const again = await operator.post(`/orgs/${orgA.id}/invoices/${blue.id}/reverse`, { reason: "销货退回" });
    expect(again.statusCode, again.body).toBe(201);
    expect(await listed(viewer, "red_confirmation_closed")).toEqual([]);
  });
  it("a refund left to an operator: listed after the stuck threshold with 红冲 on its invoice, gone once reversed", async () => {
    const keys = await makeCredentials(app, orgA.id);
    const pushed = await openRequest(app, keys, {
      method: "POST",
      url: "/open/v1/receipt-codes",
      body: {
        orderNo: "EX-RF-1",
        drawer: "张三",
        lines: [
          {
            name: "咖啡",
            shortName: "饮料",
            taxCode: "1030307020000000000",
            taxRate: "0.13",
            quantity: "2",
            unitPrice: "15.00",
            amount: "30.00",
          },
          {
            name: "午餐",
            shortName: "餐饮服务",
            taxCode: "3070401000000000000",
            taxRate: "0.06",
            amount: "88.00",
          },
        ],
      },
    });
    expect(pushed.statusCode, pushed.body).toBe(201);
    const blue = (await submitAsCompany(app, pushed.json().token)).json().invoices[0] as { id: string };
    // A channel that reverses only whole invoices (金蝶): a partial refund is left to an operator.
    await setChannel({});
    await app.ctx.database.db
      .update(taxBureauAccounts)
      .set({ channel: "kingdee" })
      .where(eq(taxBureauAccounts.orgId, orgA.id));
    const res = await openRequest(app, keys, {
      method: "POST",
      url: "/open/v1/receipt-codes/EX-RF-1/refunds",
      body: { refundNo: "EX-R-1", reason: "销货退回", lines: [{ lineNo: 2 }] },
    });
    expect(res.statusCode, res.body).toBe(201);
    expect(res.json().status).toBe("manual");
    await app.ctx.database.db
      .update(taxBureauAccounts)
      .set({ channel: "sandbox" })
      .where(eq(taxBureauAccounts.orgId, orgA.id));
    // Younger than the stuck threshold: not yet an exception.
    expect(await listed(operator, "refund_unreversed")).toEqual([]);
    const [refund] = await app.ctx.database.db.select().from(refunds).where(eq(refunds.refundNo, "EX-R-1"));
    await app.ctx.database.db
      .update(refunds)
      .set({ createdAt: new Date(Date.now() - 40 * 60_000) })
      .where(eq(refunds.id, refund!.id));
    const [item] = await listed(operator, "refund_unreversed");
    expect(item).toMatchObject({ id: refund!.id, invoiceId: blue.id, action: { key: "reverse" } });
    expect(await listed(adminB, "refund_unreversed")).toEqual([]);
    // The operator reverses the invoice (the page's 红冲 dialog): the refund is no longer listed.
    const reversed = await operator.post(`/orgs/${orgA.id}/invoices/${blue.id}/reverse`, {
      reason: "销货退回",
    });
    expect(reversed.statusCode, reversed.body).toBe(201);
    expect(await listed(operator, "refund_unreversed")).toEqual([]);
  });
  it("a refund waiting for its code's invoice past the stuck threshold: listed, gone once the invoice is issued and reversed", async () => {
    const keys = await makeCredentials(app, orgA.id);
    const pushed = await openRequest(app, keys, {
      method: "POST",
      url: "/open/v1/receipt-codes",
      body: {
        orderNo: "EX-RF-2",
        drawer: "张三",
        lines: [
          {
            name: "午餐",
            shortName: "餐饮服务",
            taxCode: "3070401000000000000",
            taxRate: "0.06",
            amount: "88.00",
          },
        ],
      },
    });
    expect(pushed.statusCode, pushed.body).toBe(201);
    await setChannel({ mode: "offline" });
    const blue = (await submitAsCompany(app, pushed.json().token)).json().invoices[0] as {
      id: string;
      status: string;
    };
    expect(blue.status).toBe("issuing");
    const res = await openRequest(app, keys, {
      method: "POST",
      url: "/open/v1/receipt-codes/EX-RF-2/refunds",
      body: { refundNo: "EX-R-2", reason: "销售折让", amount: "10.00" },
    });
    expect(res.statusCode, res.body).toBe(201);
    expect(res.json().status).toBe("awaiting_invoice");
    expect(await listed(operator, "refund_unreversed")).toEqual([]);
    const [refund] = await app.ctx.database.db.select().from(refunds).where(eq(refunds.refundNo, "EX-R-2"));
    await app.ctx.database.db
      .update(refunds)
      .set({ createdAt: new Date(Date.now() - 40 * 60_000) })
      .where(eq(refunds.id, refund!.id));
    // No issued invoice yet: the page opens the receipt codes.
    const [item] = await listed(operator, "refund_unreversed");
    expect(item).toMatchObject({ id: refund!.id, invoiceId: null, action: { key: "reverse" } });
    await setChannel({});
    await issueNow(app.ctx, [blue.id]);
    await applyAwaitingRefund(app.ctx, refund!.id);
    const [after] = await app.ctx.database.db.select().from(refunds).where(eq(refunds.id, refund!.id));
    expect(after?.status).toBe("reversing");
    expect(await listed(operator, "refund_unreversed")).toEqual([]);
  });
});
