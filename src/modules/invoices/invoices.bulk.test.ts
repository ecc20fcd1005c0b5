import { and, eq } from "drizzle-orm";
import { afterEach, beforeEach, expect, it } from "vitest";
import { createTestApp, type TestApp } from "../../../test/support/app";
import { type ConsoleClient, loginAs, makeUser } from "../../../test/support/console";
import { describeEachDatabase } from "../../../test/support/db";
import { makeOrganization, makeReceiptCode, makeUscc } from "../../../test/support/factories";
import { auditLog, deliveries, invoices } from "../../platform/db/schema";
import { openZip, readZipEntry } from "../../platform/zip-reader";

describeEachDatabase("invoices: 合计 and bulk 导出所选 / 重新发送 / PDF zip", (kind) => {
  let app: TestApp;
  let orgA: { id: string };
  let orgB: { id: string };
  let operator: ConsoleClient;
  let viewer: ConsoleClient;
  let multi: ConsoleClient;

  beforeEach(async () => {
    app = await createTestApp(kind);
    const db = app.ctx.database;
    orgA = await makeOrganization(db, { name: "甲酒店有限公司" });
    orgB = await makeOrganization(db, { name: "乙超市有限公司" });
    const login = async (role: "operator" | "viewer", orgIds: string[]) => {
      const u = await makeUser(db, { role, orgIds });
      return loginAs(app, u.username, u.password);
    };
    operator = await login("operator", [orgA.id]);
    viewer = await login("viewer", [orgA.id]);
    multi = await login("viewer", [orgA.id, orgB.id]);
  });
  afterEach(() => app.close());

  /** An invoice issued through the consumer API (800.00 = 754.72 + 45.28), or left failed. */
  async function issued(orgId = orgA.id, contact: Record<string, string> = { email: "buyer@example.com" }) {
    const code = await makeReceiptCode(app.ctx, orgId);
    const res = await app.http.inject({
      method: "POST",
      url: `/api/scan/${code.token}/submit`,
      payload: {
        invoiceType: "digital_special",
        buyer: { type: "enterprise", name: "上海某某科技有限公司", taxId: makeUscc("91310000") },
        ...contact,
      },
    });
    expect(res.statusCode, res.body).toBe(202);
    return res.json().invoices[0] as { id: string; number: string; status: string };
  }
  const base = (orgId = orgA.id) => `/orgs/${orgId}/invoices`;

  it("合计 adds up the whole filtered list, not a page, red invoices negative, per org or over all", async () => {
    const a = await issued();
    await issued();
    await issued();
    await issued(orgB.id);
    const empty = (await viewer.get(`${base()}/summary?number=00000000000000000000`)).json();
    expect(empty).toEqual({ count: 0, amountExcludingTax: "0.00", taxAmount: "0.00", totalAmount: "0.00" });

    const page = (await viewer.get(`${base()}?pageSize=1`)).json();
    expect(page.items).toHaveLength(1);
    expect((await viewer.get(`${base()}/summary`)).json()).toEqual({
      count: 3,
      amountExcludingTax: "2264.16",
      taxAmount: "135.84",
      totalAmount: "2400.00",
    });
    await operator.post(`${base()}/${a.id}/reverse`, { reason: "开票有误" });
    expect((await viewer.get(`${base()}/summary`)).json()).toMatchObject({
      count: 4,
      totalAmount: "1600.00",
    });
    expect((await viewer.get(`${base()}/summary?color=red`)).json()).toMatchObject({
      count: 1,
      taxAmount: "-45.28",
    });
    expect((await multi.get("/invoices/summary")).json()).toMatchObject({ count: 5, totalAmount: "2400.00" });
    expect((await viewer.get("/invoices/summary")).json()).toMatchObject({ count: 4 });
    expect((await viewer.get(`${base(orgB.id)}/summary`)).statusCode).toBe(404);
    const bad = await viewer.get(`${base()}/summary?from=2025-13-01`);
    expect(bad.statusCode).toBe(422);
  });

  it("导出所选 exports exactly the ticked invoices; another organization's id refuses the whole export", async () => {
    const a = await issued();
    await issued();
    const c = await issued();
    const foreign = await issued(orgB.id);
    const url = `${base()}/bulk/export`;
    const csv = await viewer.post(url, { ids: [a.id, c.id], format: "csv" });
    expect(csv.statusCode).toBe(200);
    expect(csv.headers["content-type"]).toBe("text/csv; charset=utf-8");
    const rows = csv.rawPayload.toString("utf8").trim().split("\r\n");
    expect(rows).toHaveLength(3);
    expect(
      rows
        .slice(1)
        .map((r) => r.split(",")[0])
        .sort(),
    ).toEqual([a.number, c.number].sort());

    const xlsx = await viewer.post(url, { ids: [a.id] });
    expect(xlsx.statusCode).toBe(200);
    expect(xlsx.headers["content-disposition"]).toContain(".xlsx");

    const refused = await viewer.post(url, { ids: [a.id, foreign.id], format: "csv" });
    expect(refused.statusCode).toBe(404);
    expect(refused.json().error).toMatchObject({ code: "INVOICE_NOT_FOUND", details: { ids: [foreign.id] } });
    expect((await viewer.post(url, { ids: [a.id], format: "pdf" })).statusCode).toBe(422);
    expect((await viewer.post(url, { ids: [] })).statusCode).toBe(422);
  });

  it("批量重新发送 queues the buyer's own address for each issued invoice; the rest are named with the reason", async () => {
    const a = await issued();
    const noContact = await issued();
    // A buyer's address can be missing on an invoice made elsewhere (an order pushed without one).
    await app.ctx.database.db
      .update(invoices)
      .set({ email: null, mobile: null })
      .where(eq(invoices.id, noContact.id));
    const sms = await issued(orgA.id, { mobile: "13800138000" });
    const url = `${base()}/bulk/resend`;
    expect((await viewer.post(url, { ids: [a.id] })).statusCode).toBe(403);
    const foreign = await issued(orgB.id);
    expect((await operator.post(url, { ids: [a.id, foreign.id] })).statusCode).toBe(404);

    const before = await app.ctx.database.db
      .select()
      .from(deliveries)
      .where(eq(deliveries.reason, "operator"));
    expect(before).toHaveLength(0);
    const res = await operator.post(url, { ids: [a.id, noContact.id, sms.id] });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({
      done: [
        { id: a.id, label: a.number },
        { id: sms.id, label: sms.number },
      ],
      skipped: [{ id: noContact.id, label: noContact.number, reason: "没有收票邮箱或手机号" }],
    });
    const queued = await app.ctx.database.db
      .select()
      .from(deliveries)
      .where(eq(deliveries.reason, "operator"));
    expect(queued.map((d) => [d.invoiceId, d.channel, d.recipient]).sort()).toEqual(
      [
        [a.id, "email", "buyer@example.com"],
        [sms.id, "sms", "13800138000"],
      ].sort(),
    );
    const audit = await app.ctx.database.db
      .select()
      .from(auditLog)
      .where(and(eq(auditLog.orgId, orgA.id), eq(auditLog.action, "invoice.resend")));
    expect(audit).toHaveLength(2);
  });

  it("批量下载 PDF: a zip of the issued invoices' PDFs by number, the rest listed; none at all is 409", async () => {
    const a = await issued();
    const b = await issued();
    const red = (await operator.post(`${base()}/${a.id}/reverse`, { reason: "开票有误" })).json();
    // One whose attempt failed: no number, no PDF.
    const failed = await issued();
    await app.ctx.database.db
      .update(invoices)
      .set({ status: "failed", number: null })
      .where(eq(invoices.id, failed.id));

    const url = `${base()}/bulk/pdf.zip`;
    const res = await viewer.post(url, { ids: [a.id, b.id, red.id, failed.id] });
    expect(res.statusCode, res.body.slice(0, 200)).toBe(200);
    expect(res.headers["content-type"]).toBe("application/zip");
    expect(decodeURIComponent(String(res.headers["content-disposition"]))).toContain("发票PDF-3张.zip");
    const archive = openZip(res.rawPayload, {
      maxEntries: 10,
      maxEntryBytes: 10 * 1024 * 1024,
      maxTotalBytes: 50 * 1024 * 1024,
      maxRatio: 100,
      ratioFloorBytes: 1024 * 1024,
    });
    const names = [...archive.entries.values()].map((e) => e.name);
    expect(names).toEqual([
      `${a.number}.pdf`,
      `${b.number}.pdf`,
      `红字-${red.number}.pdf`,
      "未包含的发票.txt",
    ]);
    const single = await viewer.get(`${base()}/${b.id}/files/pdf`);
    const chunks: Buffer[] = [];
    for await (const chunk of readZipEntry(archive, archive.entries.get(`${b.number}.pdf`)!))
      chunks.push(chunk);
    expect(Buffer.concat(chunks).equals(single.rawPayload)).toBe(true);
    const note: Buffer[] = [];
    for await (const chunk of readZipEntry(archive, archive.entries.get("未包含的发票.txt")!))
      note.push(chunk);
    expect(Buffer.concat(note).toString("utf8")).toContain(`${failed.id}\t尚未开具`);

    const none = await viewer.post(url, { ids: [failed.id] });
    expect(none.statusCode).toBe(409);
    const foreign = await issued(orgB.id);
    expect((await viewer.post(url, { ids: [b.id, foreign.id] })).statusCode).toBe(404);
    expect((await viewer.post(url, { ids: Array(501).fill(b.id) })).statusCode).toBe(422);
  });
});
