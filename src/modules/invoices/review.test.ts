import { eq } from "drizzle-orm";
import { afterEach, beforeEach, expect, it } from "vitest";
import { createTestApp, type TestApp } from "../../../test/support/app";
import { type ConsoleClient, loginAs, makeUser } from "../../../test/support/console";
import { describeEachDatabase } from "../../../test/support/db";
import { makeOrganization, makeReceiptCode, makeUscc } from "../../../test/support/factories";
import { startSmtp, type TestSmtp } from "../../../test/support/smtp";
import { waitUntil } from "../../../test/support/wait";
import { deliveries, invoices, receiptCodes, sandboxIssued, smsOutbox } from "../../platform/db/schema";
import { merchantStatus } from "./invoice-status";

/**
 * 审核开票 over HTTP on both databases: a rule holds a matching submission (the consumer sees it
 * waiting, the sweep leaves it), an operator approves it (issued once, by the normal path, even
 * when two approve at the same moment) or declines it with a reason the consumer reads and is sent.
 */
describeEachDatabase("审核开票", (kind) => {
  let app: TestApp;
  let org: { id: string };
  let admin: ConsoleClient;
  let operator: ConsoleClient;
  let operator2: ConsoleClient;
  let viewer: ConsoleClient;
  let smtp: TestSmtp;

  beforeEach(async () => {
    smtp = await startSmtp();
    app = await createTestApp(kind, { env: { SMTP_URL: smtp.url } });
    const db = app.ctx.database;
    org = await makeOrganization(db, { name: "甲酒店有限公司" });
    const login = async (role: "admin" | "operator" | "viewer") => {
      const u = await makeUser(db, { role, orgIds: [org.id] });
      return loginAs(app, u.username, u.password);
    };
    admin = await login("admin");
    operator = await login("operator");
    operator2 = await login("operator");
    viewer = await login("viewer");
  });
  afterEach(async () => {
    await app.close();
    await smtp.close();
  });

  const rules = () => `/orgs/${org.id}/review-rules`;
  async function submit(buyerType: "enterprise" | "individual" = "enterprise") {
    const code = await makeReceiptCode(app.ctx, org.id);
    const buyer =
      buyerType === "enterprise"
        ? { type: "enterprise", name: "上海某某科技有限公司", taxId: makeUscc("91310000") }
        : { type: "individual", name: "王小明" };
    const res = await app.http.inject({
      method: "POST",
      url: `/api/scan/${code.token}/submit`,
      payload: { invoiceType: "digital_normal", buyer, email: "buyer@example.com", mobile: "13800138000" },
    });
    expect(res.statusCode, res.body).toBe(202);
    return { code, body: res.json() as { status: string; invoices: Array<{ id: string; status: string }> } };
  }
  const scanView = async (token: string) => (await app.http.inject({ url: `/api/scan/${token}` })).json();
  const invoiceRow = async (id: string) =>
    (await app.ctx.database.db.select().from(invoices).where(eq(invoices.id, id)))[0]!;

  it("keeps rules per organization: admins set them, every condition checked, bad input refused", async () => {
    expect((await operator.post(rules(), { minAmount: "500" })).statusCode).toBe(403);
    const none = await admin.post(rules(), {});
    expect(none.statusCode).toBe(422);
    expect(none.json().error.details.fields).toHaveProperty("source");
    const bad = await admin.post(rules(), { minAmount: "-1", buyerType: "robot" });
    expect(Object.keys(bad.json().error.details.fields).sort()).toEqual(["buyerType", "minAmount"]);
    const made = await admin.post(rules(), { source: "manual", minAmount: "500", buyerType: "personal" });
    expect(made.statusCode).toBe(201);
    expect((await viewer.get(rules())).json()).toEqual([
      expect.objectContaining({
        source: "manual",
        minAmount: "500.00",
        buyerType: "personal",
        invoiceType: null,
      }),
    ]);
    // A company buyer does not match this rule: issued at once.
    const company = await submit("enterprise");
    expect(company.body.status).toBe("issued");
    expect((await admin.request("DELETE", `${rules()}/${made.json().id}`)).statusCode).toBe(204);
    expect((await admin.request("DELETE", `${rules()}/${made.json().id}`)).statusCode).toBe(404);
  });

  it("holds a matching submission for review, then approval issues it by the normal path", async () => {
    await admin.post(rules(), { minAmount: "500" });
    const { code, body } = await submit();
    expect(body.status).toBe("issuing");
    const [held] = body.invoices;
    expect(held?.status).toBe("awaiting_review");
    expect(merchantStatus("awaiting_review")).toBe("issuing");
    // Waiting: the consumer's page says so; nothing was attempted, nothing is due for the sweep.
    const view = await scanView(code.token);
    expect(view).toMatchObject({
      status: "issuing",
      invoices: [{ status: "awaiting_review", number: null }],
    });
    const row = await invoiceRow(held!.id);
    expect(row).toMatchObject({ attempts: 0, nextAttemptAt: null });
    expect((await viewer.get("/exceptions/counts")).json().awaitingReview).toBe(1);
    const list = (await viewer.get(`/orgs/${org.id}/invoices?status=awaiting_review`)).json();
    expect(list.items.map((i: { id: string }) => i.id)).toEqual([held!.id]);
    expect((await viewer.get(`/orgs/${org.id}/invoices/${held!.id}`)).json().canReview).toBe(false);
    expect((await operator.get(`/orgs/${org.id}/invoices/${held!.id}`)).json().canReview).toBe(true);

    expect((await viewer.post(`/orgs/${org.id}/invoices/${held!.id}/approve`)).statusCode).toBe(403);
    const approved = await operator.post(`/orgs/${org.id}/invoices/${held!.id}/approve`);
    expect(approved.statusCode, approved.body).toBe(200);
    expect(approved.json()).toMatchObject({ status: "issued", canReview: false });
    expect((await scanView(code.token)).status).toBe("invoiced");
    // The consumer is told as any issued invoice is told: it is sent to the e-mail and mobile given.
    const sent = await waitUntil(async () => {
      const rows = await app.ctx.database.db
        .select()
        .from(deliveries)
        .where(eq(deliveries.invoiceId, held!.id));
      return rows.length === 2 && rows.every((d) => d.status === "sent") ? rows : undefined;
    }, "the issued invoice sent");
    expect(sent.map((d) => d.channel).sort()).toEqual(["email", "sms"]);
    expect((await viewer.get("/exceptions/counts")).json().awaitingReview).toBe(0);
    // Decided: neither approve nor decline again.
    expect((await operator.post(`/orgs/${org.id}/invoices/${held!.id}/approve`)).statusCode).toBe(409);
    expect(
      (await operator.post(`/orgs/${org.id}/invoices/${held!.id}/decline`, { reason: "不开" })).statusCode,
    ).toBe(409);
  });

  it("declines with a reason: the consumer reads it and is sent it; the code is closed", async () => {
    await admin.post(rules(), { invoiceType: "digital_normal" });
    const { code, body } = await submit();
    const id = body.invoices[0]!.id;
    const empty = await operator.post(`/orgs/${org.id}/invoices/${id}/decline`, { reason: " " });
    expect(empty.statusCode).toBe(422);
    expect((await invoiceRow(id)).status).toBe("awaiting_review");
    const declined = await operator.post(`/orgs/${org.id}/invoices/${id}/decline`, {
      reason: "该订单已退款",
    });
    expect(declined.statusCode, declined.body).toBe(200);
    expect(declined.json()).toMatchObject({
      status: "review_refused",
      failureReason: "该订单已退款",
      canRetry: false,
    });
    const view = await scanView(code.token);
    expect(view.status).toBe("failed");
    expect(view.invoices[0].failureMessage).toContain("该订单已退款");
    const [codeRow] = await app.ctx.database.db
      .select()
      .from(receiptCodes)
      .where(eq(receiptCodes.id, code.id));
    expect(codeRow?.status).toBe("failed");
    // Told by e-mail (the reason, and the page's link) and by SMS (the page's link, which says why).
    const [mail] = await smtp.waitFor(1);
    expect(mail).toMatchObject({
      to: ["buyer@example.com"],
      subject: "开票申请未通过商家审核",
      attachments: [],
    });
    const sms = await app.ctx.database.db.select().from(smsOutbox).where(eq(smsOutbox.mobile, "13800138000"));
    // The SMS (a gateway template) points at the code's page, which says why.
    expect(sms.map((m) => m.text)).toEqual([expect.stringContaining(`开票进度有更新：`)]);
    expect(sms[0]!.text).toContain(`/s/${code.token}`);
    // Declined is not an exception to retry, and nothing reached the channel.
    expect((await operator.get("/exceptions?kind=invoice_failed")).json().items).toEqual([]);
    expect((await operator.post(`/orgs/${org.id}/invoices/${id}/approve`)).statusCode).toBe(409);
    expect(await app.ctx.database.db.select().from(sandboxIssued)).toEqual([]);
  });

  it("two operators approving at the same moment: one wins, the invoice is issued once", async () => {
    await admin.post(rules(), { source: "manual" });
    const { body } = await submit();
    const id = body.invoices[0]!.id;
    const answers = await Promise.all(
      [operator, operator2].map((c) => c.post(`/orgs/${org.id}/invoices/${id}/approve`)),
    );
    expect(answers.map((a) => a.statusCode).sort()).toEqual([200, 409]);
    const row = await invoiceRow(id);
    expect(row).toMatchObject({ status: "issued", attempts: 1 });
    const issued = await app.ctx.database.db
      .select()
      .from(sandboxIssued)
      .where(eq(sandboxIssued.serial, row.serial));
    expect(issued).toHaveLength(1);
  });
});
