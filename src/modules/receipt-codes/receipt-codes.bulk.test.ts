import { and, eq } from "drizzle-orm";
import { afterEach, beforeEach, expect, it } from "vitest";
import { createTestApp, type TestApp } from "../../../test/support/app";
import { type ConsoleClient, loginAs, makeUser } from "../../../test/support/console";
import { describeEachDatabase } from "../../../test/support/db";
import { makeOrganization, makeReceiptCode, makeUscc } from "../../../test/support/factories";
import { auditLog, receiptCodeConfigs, receiptCodes } from "../../platform/db/schema";

describeEachDatabase("receipt codes: bulk 禁用 / 打印 and a code's history", (kind) => {
  let app: TestApp;
  let orgA: { id: string };
  let orgB: { id: string };
  let operator: ConsoleClient;
  let viewer: ConsoleClient;
  let operatorName: string;

  beforeEach(async () => {
    app = await createTestApp(kind);
    const db = app.ctx.database;
    orgA = await makeOrganization(db, { name: "甲公司" });
    orgB = await makeOrganization(db, { name: "乙公司" });
    const login = async (role: "operator" | "viewer", orgId: string) => {
      const u = await makeUser(db, { role, orgIds: [orgId] });
      if (role === "operator") operatorName = u.username;
      return loginAs(app, u.username, u.password);
    };
    operator = await login("operator", orgA.id);
    viewer = await login("viewer", orgA.id);
  });
  afterEach(() => app.close());

  const base = () => `/orgs/${orgA.id}/receipt-codes`;
  const submit = (token: string, extra: Record<string, unknown> = {}) =>
    app.http.inject({
      method: "POST",
      url: `/api/scan/${token}/submit`,
      payload: {
        invoiceType: "digital_normal",
        buyer: { type: "enterprise", name: "上海某某科技有限公司", taxId: makeUscc("91310000") },
        email: "buyer@example.com",
        ...extra,
      },
    });
  const statusOf = async (id: string) =>
    (await app.ctx.database.db.select().from(receiptCodes).where(eq(receiptCodes.id, id)))[0]?.status;
  const auditCount = async (action: string) =>
    (
      await app.ctx.database.db
        .select()
        .from(auditLog)
        .where(and(eq(auditLog.orgId, orgA.id), eq(auditLog.action, action)))
    ).length;

  it("批量禁用 disables what may be, says why for the rest, and refuses another organization's id whole", async () => {
    const a = await makeReceiptCode(app.ctx, orgA.id);
    const used = await makeReceiptCode(app.ctx, orgA.id);
    const c = await makeReceiptCode(app.ctx, orgA.id);
    const untouched = await makeReceiptCode(app.ctx, orgA.id);
    const foreign = await makeReceiptCode(app.ctx, orgB.id);
    expect((await submit(used.token)).statusCode).toBe(202);
    const url = `${base()}/bulk/disable`;

    expect((await viewer.post(url, { ids: [a.id] })).statusCode).toBe(403);
    const mixed = await operator.post(url, { ids: [untouched.id, foreign.id] });
    expect(mixed.statusCode).toBe(404);
    expect(mixed.json().error.details.ids).toEqual([foreign.id]);
    expect(await statusOf(untouched.id)).toBe("active");

    const res = await operator.post(url, { ids: [a.id, used.id, c.id, a.id] });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({
      done: [
        { id: a.id, label: a.serialNo },
        { id: c.id, label: c.serialNo },
      ],
      skipped: [{ id: used.id, label: used.serialNo, reason: "已开票，不能禁用" }],
    });
    expect(await statusOf(a.id)).toBe("disabled");
    expect(await statusOf(c.id)).toBe("disabled");
    expect(await statusOf(used.id)).toBe("invoiced");
    expect(await auditCount("receipt_code.disable")).toBe(2);

    // Again: nothing more to do, nothing more recorded.
    const again = (await operator.post(url, { ids: [a.id] })).json();
    expect(again).toEqual({ done: [], skipped: [{ id: a.id, label: a.serialNo, reason: "已禁用" }] });
    expect(await auditCount("receipt_code.disable")).toBe(2);

    for (const body of [
      {},
      { ids: [] },
      { ids: ["bad id!"] },
      { ids: Array(501).fill(a.id) },
      { ids: "x" },
    ]) {
      const bad = await operator.post(url, body);
      expect(bad.statusCode, JSON.stringify(body).slice(0, 40)).toBe(422);
      expect(bad.json().error.code).toBe("VALIDATION_FAILED");
    }
  });

  it("批量打印 puts the slips on A4 sheets, records each print, and refuses a disabled code", async () => {
    const codes = [];
    for (let i = 0; i < 5; i++)
      codes.push(await makeReceiptCode(app.ctx, orgA.id, { serialNo: `SHEET-${i}` }));
    const url = `${base()}/bulk/slips.pdf`;
    expect((await viewer.post(url, { ids: [codes[0]!.id] })).statusCode).toBe(403);

    const res = await operator.post(url, { ids: codes.map((c) => c.id) });
    expect(res.statusCode).toBe(200);
    expect(res.headers["content-type"]).toBe("application/pdf");
    const pdf = res.rawPayload;
    expect(pdf.subarray(0, 5).toString()).toBe("%PDF-");
    // Five slips of a usual receipt: four to the first sheet, one on the second.
    expect(pdf.toString("latin1").match(/\/MediaBox \[0 0 595\.28 841\.89\]/g)).toHaveLength(2);
    expect(await auditCount("receipt_code.print")).toBe(5);

    await operator.post(`${base()}/bulk/disable`, { ids: [codes[1]!.id] });
    const refused = await operator.post(url, { ids: [codes[0]!.id, codes[1]!.id] });
    expect(refused.statusCode).toBe(409);
    expect(refused.json().error.message).toContain("SHEET-1");
    expect(refused.json().error.details.ids).toEqual([codes[1]!.id]);
    expect(await auditCount("receipt_code.print")).toBe(5);

    const foreign = await makeReceiptCode(app.ctx, orgB.id);
    expect((await operator.post(url, { ids: [codes[0]!.id, foreign.id] })).statusCode).toBe(404);
  });

  it("a code's history: created, submitted, issued, its invoices; a merged code shows the merge and the invoice", async () => {
    await app.ctx.database.db
      .update(receiptCodeConfigs)
      .set({ mergeEnabled: true, mergeMaxReceipts: 5 })
      .where(eq(receiptCodeConfigs.orgId, orgA.id));
    const main = await makeReceiptCode(app.ctx, orgA.id);
    const added = await makeReceiptCode(app.ctx, orgA.id);
    await app.http.inject({ method: "GET", url: `/api/scan/${main.token}` });
    const res = await submit(main.token, { mergeCodes: [added.shortCode] });
    expect(res.statusCode, res.body).toBe(202);
    const number = res.json().invoices[0].number as string;

    const history = await viewer.get(`${base()}/${main.id}/history`);
    expect(history.statusCode).toBe(200);
    const body = history.json();
    const actions = body.events.map((e: { action: string }) => e.action);
    expect(actions).toEqual(expect.arrayContaining(["receipt_code.create", "scan.submit", "invoice.issued"]));
    expect(actions.indexOf("receipt_code.create")).toBeLessThan(actions.indexOf("invoice.issued"));
    expect(body.invoices).toEqual([
      expect.objectContaining({ number, color: "blue", status: "issued", totalAmount: "1600.00" }),
    ]);

    const merged = (await viewer.get(`${base()}/${added.id}/history`)).json();
    expect(merged.events.find((e: { action: string }) => e.action === "receipt_code.merged")).toMatchObject({
      details: { intoId: main.id, intoSerialNo: main.serialNo },
    });
    expect(merged.invoices.map((i: { number: string }) => i.number)).toEqual([number]);

    const off = await makeReceiptCode(app.ctx, orgA.id);
    await operator.post(`${base()}/bulk/disable`, { ids: [off.id] });
    const offEvents = (await viewer.get(`${base()}/${off.id}/history`)).json().events;
    expect(offEvents.at(-1)).toMatchObject({
      action: "receipt_code.disable",
      actorType: "user",
      actorName: operatorName,
    });
    const foreign = await makeReceiptCode(app.ctx, orgB.id);
    expect((await viewer.get(`${base()}/${foreign.id}/history`)).statusCode).toBe(404);
  });
});
