import { afterAll, beforeAll, expect, it } from "vitest";
import { createTestApp, type TestApp } from "../../../test/support/app";
import { type ConsoleClient, loginAs, makeUser } from "../../../test/support/console";
import { makeOrganization } from "../../../test/support/factories";
import { decodeQrCodes, describeWithTools, pdfToPngs, pdfToText } from "../../../test/support/system-tools";

const input = {
  serialNo: "POS-PRINT-1",
  drawer: "王会计",
  receiptFooter: "请于 30 天内扫码开具电子发票",
  lines: [
    { name: "午餐", shortName: "餐饮服务", taxCode: "3070401000000000000", taxRate: "0.06", amount: "88.00" },
    { kind: "discount", amount: "-8.00" },
  ],
};

describeWithTools(["pdftotext", "pdftoppm", "zbarimg"], "receipt slip and invoice preview PDFs", () => {
  let app: TestApp;
  let operator: ConsoleClient;
  let orgId: string;
  let code: { id: string; url: string };

  beforeAll(async () => {
    app = await createTestApp("pglite", { env: { PUBLIC_URL: "https://fapiao.example.com" } });
    orgId = (await makeOrganization(app.ctx.database, { name: "示例餐饮有限公司" })).id;
    const u = await makeUser(app.ctx.database, { role: "operator", orgIds: [orgId] });
    operator = await loginAs(app, u.username, u.password);
    code = (await operator.post(`/orgs/${orgId}/receipt-codes`, input)).json();
  });
  afterAll(() => app?.close());

  it.each(["58mm", "80mm", "A4"])("prints a %s slip whose QR decodes to the code's URL", async (format) => {
    const res = await operator.get(`/orgs/${orgId}/receipt-codes/${code.id}/slip.pdf?format=${format}`);
    expect(res.statusCode).toBe(200);
    expect(res.headers["content-type"]).toBe("application/pdf");
    const pdf = res.rawPayload;
    const text = (await pdfToText(pdf)).replace(/\s+/g, "");
    for (const expected of [
      "示例餐饮有限公司",
      "POS-PRINT-1",
      "扫码开具电子发票",
      "80.00",
      "请于30天内扫码开具电子发票",
    ])
      expect(text).toContain(expected);
    const { files, cleanup } = await pdfToPngs(pdf, { dpi: 200 });
    try {
      expect((await Promise.all(files.map(decodeQrCodes))).flat()).toEqual([code.url]);
    } finally {
      await cleanup();
    }
    expect(code.url.startsWith("https://fapiao.example.com/s/")).toBe(true);
  });

  it("refuses to print a disabled code", async () => {
    const other = (
      await operator.post(`/orgs/${orgId}/receipt-codes`, { ...input, serialNo: "POS-PRINT-2" })
    ).json();
    await operator.post(`/orgs/${orgId}/receipt-codes/${other.id}/disable`);
    const res = await operator.get(`/orgs/${orgId}/receipt-codes/${other.id}/slip.pdf?format=80mm`);
    expect(res.statusCode).toBe(409);
  });

  it("previews the invoice as it would be issued, marked 预览 and without a number, saving nothing", async () => {
    const res = await operator.post(`/orgs/${orgId}/receipt-codes/preview`, {
      ...input,
      serialNo: "POS-PREVIEW",
    });
    expect(res.headers["content-type"]).toBe("application/pdf");
    const text = await pdfToText(res.rawPayload);
    expect(text).toContain("预览");
    expect(text).toContain("*餐饮服务*午餐");
    expect(text).toContain("示例餐饮有限公司");
    expect(text).toContain("80.00");
    expect(text).not.toMatch(/\d{20}/);
    const list = (await operator.get(`/orgs/${orgId}/receipt-codes?serialNo=POS-PREVIEW`)).json();
    expect(list.total).toBe(0);
    const bad = await operator.post(`/orgs/${orgId}/receipt-codes/preview`, {
      ...input,
      drawer: "",
      lines: [],
    });
    expect(Object.keys(bad.json().error.details.fields)).toContain("lines");
  });
});
