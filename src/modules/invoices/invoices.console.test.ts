import { eq } from "drizzle-orm";
import ExcelJS from "exceljs";
import { afterEach, beforeEach, expect, it } from "vitest";
import { createTestApp, type TestApp } from "../../../test/support/app";
import { type ConsoleClient, loginAs, makeUser } from "../../../test/support/console";
import { describeOneDatabase } from "../../../test/support/db";
import { makeOrganization, makeReceiptCode, makeUscc } from "../../../test/support/factories";
import { waitUntil } from "../../../test/support/wait";
import { deliveries, receiptCodes, taxBureauAccounts } from "../../platform/db/schema";
import { toErrorResponse } from "../../platform/http";
import { resolveSession } from "../auth/auth.service";
import { exportInvoicesCsv, exportInvoicesXlsx } from "./invoices.export";

describeOneDatabase("console invoices over HTTP", (kind) => {
  let app: TestApp;
  let orgA: { id: string };
  let orgB: { id: string };
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
    operator = await login("operator", orgA.id);
    viewer = await login("viewer", orgA.id);
    adminB = await login("admin", orgB.id);
  });
  afterEach(() => app.close());

  /** A receipt code of org A (or the one given) invoiced through the consumer API, the real path. */
  async function issued(buyerName = "上海某某科技有限公司", serialNo?: string, orgId = orgA.id) {
    const code = await makeReceiptCode(app.ctx, orgId, serialNo ? { serialNo } : {});
    const res = await app.http.inject({
      method: "POST",
      url: `/api/scan/${code.token}/submit`,
      payload: {
        invoiceType: "digital_special",
        buyer: { type: "enterprise", name: buyerName, taxId: makeUscc("91310000") },
        email: "buyer@example.com",
      },
    });
    expect(res.statusCode).toBe(202);
    return { code, invoice: res.json().invoices[0] as { id: string; number: string; status: string } };
  }
  const invoicesOf = (orgId: string) => `/orgs/${orgId}/invoices`;

  it("lists with filters, shows the detail, and hides other organizations' invoices", async () => {
    const first = await issued("上海某某科技有限公司", "POS-A-001");
    const second = await issued("北京另一家贸易有限公司", "POS-A-002");
    expect(second.invoice.status).toBe("issued");

    const all = (await viewer.get(invoicesOf(orgA.id))).json();
    expect(all.total).toBe(2);
    expect(all.items[0]).toMatchObject({ id: second.invoice.id, serialNo: "POS-A-002", color: "blue" });

    const byNumber = (
      await viewer.get(`${invoicesOf(orgA.id)}?number=${first.invoice.number.slice(-8)}`)
    ).json();
    expect(byNumber.items.map((i: { id: string }) => i.id)).toEqual([first.invoice.id]);
    const byBuyer = (await viewer.get(`${invoicesOf(orgA.id)}?buyer=${encodeURIComponent("另一家")}`)).json();
    expect(byBuyer.items.map((i: { id: string }) => i.id)).toEqual([second.invoice.id]);
    const bySerial = (await viewer.get(`${invoicesOf(orgA.id)}?serialNo=A-001&status=issued`)).json();
    expect(bySerial.total).toBe(1);
    const none = (await viewer.get(`${invoicesOf(orgA.id)}?source=push`)).json();
    expect(none.total).toBe(0);
    const badDate = await viewer.get(`${invoicesOf(orgA.id)}?from=2025-13-01`);
    expect(badDate.statusCode).toBe(422);

    const detail = (await viewer.get(`${invoicesOf(orgA.id)}/${first.invoice.id}`)).json();
    expect(detail).toMatchObject({
      number: first.invoice.number,
      status: "issued",
      totals: { totalAmount: "800.00" },
      receiptCode: { serialNo: "POS-A-001", source: "manual", status: "invoiced" },
      canReverse: false, // a viewer
      canResend: false,
      red: null,
    });
    expect(detail.lines.map((l: { kind: string }) => l.kind)).toEqual(["normal", "discounted", "discount"]);
    expect(detail.files.map((f: { kind: string }) => f.kind)).toEqual(["pdf", "xml"]);
    expect(detail.deliveries[0]).toMatchObject({
      channel: "email",
      recipient: "buyer@example.com",
      reason: "submit",
    });

    const pdf = await viewer.get(`${invoicesOf(orgA.id)}/${first.invoice.id}/files/pdf`);
    expect(pdf.statusCode).toBe(200);
    expect(pdf.headers["content-type"]).toBe("application/pdf");
    expect(pdf.rawPayload.subarray(0, 5).toString()).toBe("%PDF-");

    // Another organization's admin: as if it did not exist.
    expect((await adminB.get(`${invoicesOf(orgA.id)}`)).statusCode).toBe(404);
    expect((await adminB.get(`${invoicesOf(orgB.id)}/${first.invoice.id}`)).statusCode).toBe(404);
    expect(
      (await adminB.post(`${invoicesOf(orgB.id)}/${first.invoice.id}/reverse`, { reason: "开票有误" }))
        .statusCode,
    ).toBe(404);
  });

  it("resends to another address as an operator delivery; a viewer may not", async () => {
    const { invoice } = await issued();
    const url = `${invoicesOf(orgA.id)}/${invoice.id}/resend`;
    expect((await viewer.post(url, { email: "x@example.com" })).statusCode).toBe(403);
    const empty = await operator.post(url, {});
    expect(empty.statusCode).toBe(422);
    const badMobile = await operator.post(url, { mobile: "123" });
    expect(badMobile.json().error.details.fields).toHaveProperty("mobile");

    // Typed with a Chinese IME in full width: folded (DOMAIN.md §6).
    const res = await operator.post(url, {
      email: "accountant＠example.com",
      mobile: "１３８００１３８０００",
    });
    expect(res.statusCode).toBe(200);
    expect(res.json().deliveryIds).toHaveLength(2);
    const sent = await waitUntil(async () => {
      const rows = await app.ctx.database.db
        .select()
        .from(deliveries)
        .where(eq(deliveries.reason, "operator"));
      return rows.length === 2 && rows.every((r) => r.status === "sent") ? rows : undefined;
    }, "operator deliveries sent");
    expect(sent.map((r) => r.recipient).sort()).toEqual(["13800138000", "accountant@example.com"]);
    const detail = (await operator.get(`${invoicesOf(orgA.id)}/${invoice.id}`)).json();
    expect(detail.deliveries.filter((d: { reason: string }) => d.reason === "operator")).toHaveLength(2);
  });

  it("reverses through the reversal service: a red invoice, linked both ways, once", async () => {
    const { invoice } = await issued();
    const url = `${invoicesOf(orgA.id)}/${invoice.id}/reverse`;
    expect((await viewer.post(url, { reason: "开票有误" })).statusCode).toBe(403);
    const bad = await operator.post(url, { reason: "不想要了" });
    expect(bad.statusCode).toBe(422);

    const res = await operator.post(url, { reason: "销货退回" });
    expect(res.statusCode).toBe(201);
    const red = res.json();
    expect(red).toMatchObject({
      color: "red",
      status: "issued",
      reverseReason: "销货退回",
      totals: { amountExcludingTax: "-754.72", taxAmount: "-45.28", totalAmount: "-800.00" },
      blue: { id: invoice.id, number: invoice.number, status: "reversed" },
      canReverse: false,
    });
    expect(red.number).toMatch(/^\d{20}$/);
    expect(red.lines.every((l: { amountIncludingTax: string }) => l.amountIncludingTax.startsWith("-"))).toBe(
      true,
    );

    const blue = (await operator.get(`${invoicesOf(orgA.id)}/${invoice.id}`)).json();
    expect(blue).toMatchObject({
      status: "reversed",
      red: { id: red.id, number: red.number },
      canReverse: false,
    });
    const again = await operator.post(url, { reason: "销货退回" });
    expect(again.statusCode).toBe(200);
    expect(again.json().id).toBe(red.id);
    const reds = (await operator.get(`${invoicesOf(orgA.id)}?color=red`)).json();
    expect(reds.items.map((i: { id: string }) => i.id)).toEqual([red.id]);
  });

  it("retries a failed invoice once the channel accepts again, showing the reason before", async () => {
    const setChannel = (settings: object) =>
      app.ctx.database.db
        .update(taxBureauAccounts)
        .set({ settings })
        .where(eq(taxBureauAccounts.orgId, orgA.id));
    await setChannel({ mode: "reject", message: "购买方税号状态异常" });
    const { code, invoice } = await issued();
    expect(invoice.status).toBe("failed");
    const failed = (await operator.get(`${invoicesOf(orgA.id)}?status=failed`)).json();
    expect(failed.items[0]).toMatchObject({ id: invoice.id, failureReason: "购买方税号状态异常" });
    const detail = (await operator.get(`${invoicesOf(orgA.id)}/${invoice.id}`)).json();
    expect(detail).toMatchObject({ canRetry: true, canResend: false, failureCode: "CHANNEL_REJECTED" });

    await setChannel({});
    expect((await viewer.post(`${invoicesOf(orgA.id)}/${invoice.id}/retry`)).statusCode).toBe(403);
    const retried = await operator.post(`${invoicesOf(orgA.id)}/${invoice.id}/retry`);
    expect(retried.statusCode).toBe(200);
    expect(retried.json()).toMatchObject({ status: "issued", failureReason: null, canRetry: false });
    expect(retried.json().number).toMatch(/^\d{20}$/);
    const [row] = await app.ctx.database.db.select().from(receiptCodes).where(eq(receiptCodes.id, code.id));
    expect(row?.status).toBe("invoiced");
    // Not failed any more: a second retry is refused.
    expect((await operator.post(`${invoicesOf(orgA.id)}/${invoice.id}/retry`)).statusCode).toBe(409);
  });

  it("exports the filtered list to xlsx (numbers, Chinese headers, lines sheet) and csv with a BOM", async () => {
    const a = await issued("上海某某科技有限公司");
    await issued('=HYPERLINK("x")有限公司');
    await operator.post(`${invoicesOf(orgA.id)}/${a.invoice.id}/reverse`, { reason: "开票有误" });

    const xlsx = await viewer.get(`${invoicesOf(orgA.id)}/export.xlsx?lines=1`);
    expect(xlsx.statusCode).toBe(200);
    expect(xlsx.headers["content-disposition"]).toContain("filename*=UTF-8''");
    const book = new ExcelJS.Workbook();
    await book.xlsx.load(xlsx.rawPayload as unknown as ArrayBuffer);
    const sheet = book.getWorksheet("发票")!;
    expect(sheet.getRow(1).values).toEqual(expect.arrayContaining(["发票号码", "购买方名称", "价税合计"]));
    expect(sheet.rowCount).toBe(4);
    const header = (sheet.getRow(1).values as string[]).indexOf("价税合计");
    const totals = [2, 3, 4].map((r) => sheet.getRow(r).getCell(header).value);
    expect(totals.sort()).toEqual([-800, 800, 800]);
    const lines = book.getWorksheet("明细")!;
    // Two blue invoices of three lines; the red one merges the discount pair (DOMAIN.md §3).
    expect(lines.rowCount).toBe(1 + 3 + 3 + 2);

    const filtered = await viewer.get(`${invoicesOf(orgA.id)}/export.csv?color=red`);
    expect(filtered.headers["content-type"]).toBe("text/csv; charset=utf-8");
    const text = filtered.rawPayload.toString("utf8");
    expect(text.startsWith("\uFEFF发票号码,红蓝字,状态")).toBe(true);
    const rows = text.trim().split("\r\n");
    expect(rows).toHaveLength(2);
    expect(rows[1]).toContain(",红字,已开具,");
    expect(rows[1]).toContain(",-754.72,-45.28,-800.00,");

    const all = (await viewer.get(`${invoicesOf(orgA.id)}/export.csv`)).rawPayload.toString("utf8");
    // A buyer name a spreadsheet would run as a formula is neutralised.
    expect(all).toContain(`"'=HYPERLINK(""x"")有限公司"`);
    expect((await adminB.get(`${invoicesOf(orgA.id)}/export.xlsx`)).statusCode).toBe(404);
  });

  it("refuses a bad export filter with an error answer, never a 200 that breaks off", async () => {
    await issued();
    for (const format of ["csv", "xlsx"]) {
      for (const query of [
        "from=0000-01-01",
        "to=0001-12-31",
        "from=10000-01-01",
        "buyer=%00",
        "serialNo=%ED%A0%80",
      ]) {
        const res = await viewer.get(`${invoicesOf(orgA.id)}/export.${format}?${query}`);
        expect([res.statusCode, res.json().error.code], `${format} ${query}`).toEqual([
          422,
          "VALIDATION_FAILED",
        ]);
      }
    }
    // Past the gate too: the first query runs before there is a stream to send, so a filter the
    // database refuses fails the export call itself (an error answer), not the middle of a download.
    const session = await resolveSession(app.ctx, viewer.cookie.slice(viewer.cookie.indexOf("=") + 1));
    const options = {
      actor: session!.actor,
      orgId: orgA.id,
      filter: { from: "0000-01-01" },
      withLines: true,
    };
    for (const exporter of [exportInvoicesCsv, exportInvoicesXlsx]) {
      const error = await exporter(app.ctx, options).then(
        () => null,
        (e: unknown) => e,
      );
      expect(error).not.toBeNull();
      expect(toErrorResponse(error).status).toBe(422);
    }
  });

  it("「全部组织」 lists and exports every organization of the user, with its name, and no other", async () => {
    const orgC = await makeOrganization(app.ctx.database, { name: "丙餐饮有限公司" });
    const u = await makeUser(app.ctx.database, { role: "viewer", orgIds: [orgA.id, orgC.id] });
    const both = await loginAs(app, u.username, u.password);
    const ofA = await issued("上海某某科技有限公司", "ALL-A-1");
    const ofB = await issued("乙方的购买方有限公司", "ALL-B-1", orgB.id);
    const ofC = await issued("丙方的购买方有限公司", "ALL-C-1", orgC.id);

    const list = (await both.get("/invoices")).json();
    expect(list.total).toBe(2);
    expect(list.items.map((i: { id: string; orgId: string }) => [i.id, i.orgId])).toEqual([
      [ofC.invoice.id, orgC.id],
      [ofA.invoice.id, orgA.id],
    ]);
    // The filters apply across organizations; B's invoice matches them but is not the user's.
    const filtered = (await both.get(`/invoices?buyer=${encodeURIComponent("的购买方")}`)).json();
    expect(filtered.items.map((i: { id: string }) => i.id)).toEqual([ofC.invoice.id]);
    expect(JSON.stringify((await both.get("/invoices?pageSize=200")).json())).not.toContain(ofB.invoice.id);
    // One organization's user sees only it, also here; each item says whose it is.
    const onlyA = (await viewer.get("/invoices")).json();
    expect(onlyA.items.map((i: { id: string; orgId: string }) => [i.id, i.orgId])).toEqual([
      [ofA.invoice.id, orgA.id],
    ]);
    expect((await viewer.get(invoicesOf(orgA.id))).json().items[0].orgId).toBe(orgA.id);
    expect((await both.get("/invoices?from=2025-13-01")).statusCode).toBe(422);
    expect((await app.http.inject({ method: "GET", url: "/api/console/invoices" })).statusCode).toBe(401);

    const csv = (await both.get("/invoices/export.csv")).rawPayload.toString("utf8");
    expect(csv.startsWith("\uFEFF组织,发票号码,红蓝字")).toBe(true);
    const rows = csv.trim().split("\r\n");
    expect(
      rows
        .slice(1)
        .map((r) => r.split(",")[0])
        .sort(),
    ).toEqual(["丙餐饮有限公司", "甲酒店有限公司"].sort());
    expect(csv).not.toContain("乙超市有限公司");
    expect(csv).not.toContain(ofB.invoice.number);

    const xlsx = await both.get("/invoices/export.xlsx?lines=1&serialNo=ALL-C");
    expect(xlsx.statusCode).toBe(200);
    const book = new ExcelJS.Workbook();
    await book.xlsx.load(xlsx.rawPayload as unknown as ArrayBuffer);
    const sheet = book.getWorksheet("发票")!;
    expect(sheet.rowCount).toBe(2);
    expect(sheet.getRow(1).getCell(1).value).toBe("组织");
    expect(sheet.getRow(2).getCell(1).value).toBe("丙餐饮有限公司");
    expect(sheet.getRow(2).getCell(2).value).toBe(ofC.invoice.number);
    const lines = book.getWorksheet("明细")!;
    expect(lines.getRow(1).getCell(1).value).toBe("组织");
    expect(lines.getRow(2).getCell(1).value).toBe("丙餐饮有限公司");
    // A user of B alone exports only B's.
    const ofBOnly = (await adminB.get("/invoices/export.csv")).rawPayload.toString("utf8");
    expect(ofBOnly).toContain(ofB.invoice.number);
    expect(ofBOnly).not.toContain(ofA.invoice.number);
    expect(ofBOnly).not.toContain(ofC.invoice.number);
  });
});
