import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, expect } from "vitest";
import { createTestApp, type TestApp } from "../../../test/support/app";
import { loginAs, makeUser } from "../../../test/support/console";
import { describeEachDatabase } from "../../../test/support/db";
import { makeOrganization, makeReceiptCode, makeUscc } from "../../../test/support/factories";
import {
  decodeQrCodes,
  itWithTools,
  pdfToPngs,
  pdfToText,
  runTool,
} from "../../../test/support/system-tools";
import { amountInCapitals, isQrTextIntact } from "../../domain";

/**
 * The files of invoices issued through the real path — a consumer's submit, an operator's 红冲 —
 * read back with the programs reimbursement software relies on: pdftotext, zbarimg and xmllint
 * against einvoice.xsd (DOMAIN.md §7–§9). Without those programs the checks skip, and fail under CI.
 */

const SCHEMA = fileURLToPath(new URL("./einvoice.xsd", import.meta.url));
const TOOLS = ["pdftotext", "pdftoppm", "zbarimg", "xmllint"];
const flat = (text: string) => text.replace(/\s+/g, "");

async function xpath(xml: string, expression: string): Promise<string> {
  const result = await runTool("xmllint", ["--xpath", expression, "-"], xml);
  if (result.exitCode !== 0) throw new Error(`xmllint --xpath ${expression}: ${result.stderr}`);
  return result.stdout.toString("utf8").replace(/\n$/, "");
}

async function schemaErrors(xml: string): Promise<string> {
  const result = await runTool("xmllint", ["--noout", "--schema", SCHEMA, "-"], xml);
  return result.exitCode === 0 ? "" : result.stderr || `exit ${result.exitCode}`;
}

async function qrOf(pdf: Buffer): Promise<string[]> {
  const { files, cleanup } = await pdfToPngs(pdf, { dpi: 150 });
  try {
    return await decodeQrCodes(files[0]!);
  } finally {
    await cleanup();
  }
}

const D = "/EInvoice/EInvoiceData";

describeEachDatabase("the files of issued blue and red invoices", (kind) => {
  let app: TestApp;
  let blue: { id: string; number: string };
  let red: { id: string; number: string };
  let token: string;
  const file = async (id: string, ext: "pdf" | "xml") => {
    const res = await app.http.inject({ method: "GET", url: `/api/scan/${token}/invoices/${id}.${ext}` });
    expect(res.statusCode).toBe(200);
    return res.rawPayload;
  };

  beforeAll(async () => {
    app = await createTestApp(kind);
    const org = await makeOrganization(app.ctx.database, { name: "深圳票码测试餐饮有限公司" });
    // Two lines, the second 776.00 with a −76.00 discount: 800.00 in all, 6 %.
    const code = await makeReceiptCode(app.ctx, org.id);
    token = code.token;
    const submitted = await app.http.inject({
      method: "POST",
      url: `/api/scan/${token}/submit`,
      payload: {
        invoiceType: "digital_normal",
        buyer: { type: "enterprise", name: "上海某某科技有限公司", taxId: makeUscc("91310000") },
        email: "buyer@example.com",
      },
    });
    blue = submitted.json().invoices[0];
    const user = await makeUser(app.ctx.database, { role: "operator", orgIds: [org.id] });
    const operator = await loginAs(app, user.username, user.password);
    const reversed = await operator.post(`/orgs/${org.id}/invoices/${blue.id}/reverse`, {
      reason: "销货退回",
    });
    expect(reversed.statusCode, reversed.body).toBe(201);
    red = reversed.json();
  });
  afterAll(() => app?.close());

  itWithTools(
    TOOLS,
    "prints a blue invoice that pdftotext reads back, with a QR whose checksum verifies",
    async () => {
      const pdf = await file(blue.id, "pdf");
      const text = flat(await pdfToText(pdf));
      for (const expected of [
        `发票号码：${blue.number}`,
        "上海某某科技有限公司",
        "深圳票码测试餐饮有限公司",
        "*住宿服务*标准间",
        "-71.70",
        "价税合计（大写）",
        amountInCapitals("800.00"),
        "（小写）¥800.00",
      ]) {
        expect(text, expected).toContain(flat(expected));
      }
      const [qr] = await qrOf(pdf);
      expect(qr).toMatch(new RegExp(`^01,32,,${blue.number},800\\.00,\\d{8},,[0-9A-F]{4}$`));
      expect(isQrTextIntact(qr!)).toBe(true);
    },
  );

  itWithTools(
    TOOLS,
    "prints a red invoice with （负数） capitals and the red 备注 naming the blue number",
    async () => {
      const pdf = await file(red.id, "pdf");
      const text = flat(await pdfToText(pdf));
      for (const expected of [
        "红字",
        `发票号码：${red.number}`,
        "（负数）捌佰圆整",
        "（小写）¥-800.00",
        `被红冲蓝字数电发票号码：${blue.number}`,
      ]) {
        expect(text, expected).toContain(flat(expected));
      }
      expect(text).not.toContain("销货退回");
      const [qr] = await qrOf(pdf);
      expect(qr).toMatch(new RegExp(`^01,32,,${red.number},-800\\.00,\\d{8},,[0-9A-F]{4}$`));
      expect(isQrTextIntact(qr!)).toBe(true);
    },
  );

  itWithTools(TOOLS, "writes blue and red XML that einvoice.xsd accepts, with the red markers", async () => {
    const blueXml = (await file(blue.id, "xml")).toString("utf8");
    const redXml = (await file(red.id, "xml")).toString("utf8");
    expect(await schemaErrors(blueXml)).toBe("");
    expect(await schemaErrors(redXml)).toBe("");

    expect(await xpath(blueXml, "string(/EInvoice/Header/InherentLabel/InIssuType/LabelCode)")).toBe("Y");
    expect(await xpath(blueXml, `count(${D}/SpecificInformation/*)`)).toBe("0");
    expect(await xpath(blueXml, `string(${D}/IssuItemInformation[2]/TaxClassificationCode)`)).toBe(
      "3070402000000000000",
    );
    // The discount line carries none of its line's quantity or price.
    expect(await xpath(blueXml, `count(${D}/IssuItemInformation[3]/Quantity)`)).toBe("0");
    expect(await xpath(blueXml, `string(${D}/IssuItemInformation[3]/TotaltaxIncludedAmount)`)).toBe("-76.00");
    expect(await xpath(blueXml, "string(/EInvoice/TaxSupervisionInfo/TaxBureauName)")).toBe(
      "国家税务总局广东省税务局",
    );

    expect(await xpath(redXml, "string(/EInvoice/Header/InherentLabel/InIssuType/LabelCode)")).toBe("N");
    expect(await xpath(redXml, `string(${D}/SpecificInformation/RedEInvoice/OriginalInvoiceCode)`)).toBe(
      blue.number,
    );
    expect(await xpath(redXml, `string(${D}/BasicInformation/TotalTax-includedAmountInChinese)`)).toBe(
      "（负数）捌佰圆整",
    );
  });
});
