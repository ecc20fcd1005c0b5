import { describe, expect, it } from "vitest";
import { describeWithTools, runTool } from "../../../test/support/system-tools";
import { invoiceDocument, invoiceLine, redInvoiceDocument } from "./documents.factories";
import { renderInvoiceXml } from "./invoice-xml";
import { escapeXmlText } from "./xml-writer";

/** Evaluates an XPath expression over the XML with libxml2, the real parser the checks rely on. */
async function xpath(xml: string, expression: string): Promise<string> {
  const result = await runTool("xmllint", ["--xpath", expression, "-"], xml);
  // xmllint exits with 10 when an expression selects nothing; string() and count() always select.
  if (result.exitCode !== 0) throw new Error(`xmllint --xpath ${expression}: ${result.stderr}`);
  // Newer xmllint versions end the printed result with a line feed.
  return result.stdout.toString("utf8").replace(/\n$/, "");
}

async function wellFormedErrors(xml: string): Promise<string> {
  const result = await runTool("xmllint", ["--noout", "-"], xml);
  return result.exitCode === 0 ? "" : result.stderr || `exit ${result.exitCode}`;
}

const D = "/EInvoice/EInvoiceData";

/** Every path DOMAIN.md §9 names, each expected exactly once per invoice (items: once per line). */
const SINGLE_PATHS = [
  "/EInvoice/Header/EIid",
  "/EInvoice/Header/InherentLabel/GeneralOrSpecialVAT/LabelName",
  ...["SellerName", "SellerIdNum", "SellerAddr", "SellerTelNum", "SellerBankName", "SellerBankAccNum"].map(
    (name) => `${D}/SellerInformation/${name}`,
  ),
  ...["BuyerName", "BuyerIdNum", "BuyerAddr", "BuyerTelNum", "BuyerBankName", "BuyerBankAccNum"].map(
    (name) => `${D}/BuyerInformation/${name}`,
  ),
  ...[
    "TotalAmWithoutTax",
    "TotalTaxAm",
    "TotalTax-includedAmount",
    "TotalTax-includedAmountInChinese",
    "Drawer",
    "RequestTime",
  ].map((name) => `${D}/BasicInformation/${name}`),
  ...["InvoiceNumber", "IssueTime", "TaxBureauCode", "TaxBureauName"].map(
    (name) => `/EInvoice/TaxSupervisionInfo/${name}`,
  ),
];
const ITEM_FIELDS = [
  "ItemName",
  "SpecMod",
  "MeaUnits",
  "Quantity",
  "UnPrice",
  "Amount",
  "TaxRate",
  "ComTaxAm",
];

describe("renderInvoiceXml", () => {
  it("starts with the UTF-8 declaration", () => {
    expect(
      renderInvoiceXml(invoiceDocument()).startsWith('<?xml version="1.0" encoding="UTF-8"?>\n<EInvoice>'),
    ).toBe(true);
  });

  it("escapes markup characters and drops the control characters XML 1.0 forbids", () => {
    expect(escapeXmlText(`A&B <x> "q" 'a'`)).toBe("A&amp;B &lt;x&gt; &quot;q&quot; &apos;a&apos;");
    expect(escapeXmlText("a\u0000b\u0001c\u001fd\ufffee\ud800f")).toBe("abcdef");
    const xml = renderInvoiceXml(invoiceDocument({ buyer: { name: "<script>&\u0000" } }));
    expect(xml).toContain("<BuyerName>&lt;script&gt;&amp;</BuyerName>");
    expect(xml).not.toContain("\u0000");
  });
});

describeWithTools(["xmllint"], "renderInvoiceXml: checked with xmllint", () => {
  const hostile = `A&B <Trading> "Co" 'Ltd' ]]> &amp;`;
  const doc = invoiceDocument({
    invoiceType: "digital_special",
    buyer: {
      name: `${hostile}\u0000\u0001\u0008\u000b\u000c\u001f\ufffe 公司`,
      taxId: "91110000600037341L",
      address: "北京市朝阳区<建国路>88号",
      phone: "010-12345678",
      bankName: "中国银行&北京分行",
      bankAccount: "'3400'",
    },
    lines: [
      invoiceLine(),
      invoiceLine({ itemName: `*乳制品*"牛奶" & <酸奶>`, spec: "1L×6", taxRateLabel: "9%", taxRate: "0.09" }),
      invoiceLine({ itemName: "*蔬菜*菠菜", unit: undefined, quantity: undefined, unitPrice: undefined }),
    ],
  });
  const xml = renderInvoiceXml(doc);

  it("is well-formed, even with hostile text", async () => {
    expect(await wellFormedErrors(xml)).toBe("");
  });

  it("has every element of DOMAIN.md §9 exactly once, and one IssuItemInformation per line", async () => {
    for (const path of SINGLE_PATHS) {
      expect(await xpath(xml, `count(${path})`), path).toBe("1");
    }
    expect(await xpath(xml, `count(${D}/IssuItemInformation)`)).toBe("3");
    for (const field of ITEM_FIELDS) {
      expect(await xpath(xml, `count(${D}/IssuItemInformation/${field})`), field).toBe("3");
    }
  });

  it("carries the values, markup characters intact once parsed", async () => {
    const expected: Record<string, string> = {
      "/EInvoice/Header/EIid": "24442000000000012345",
      "/EInvoice/Header/InherentLabel/GeneralOrSpecialVAT/LabelName": "增值税专用发票",
      [`${D}/SellerInformation/SellerName`]: "深圳市票码餐饮管理有限公司",
      [`${D}/SellerInformation/SellerIdNum`]: "91440300358768292H",
      [`${D}/BuyerInformation/BuyerName`]: `${hostile} 公司`,
      [`${D}/BuyerInformation/BuyerAddr`]: "北京市朝阳区<建国路>88号",
      [`${D}/BuyerInformation/BuyerBankName`]: "中国银行&北京分行",
      [`${D}/BuyerInformation/BuyerBankAccNum`]: "'3400'",
      [`${D}/BasicInformation/TotalAmWithoutTax`]: "88.50",
      [`${D}/BasicInformation/TotalTaxAm`]: "11.50",
      [`${D}/BasicInformation/TotalTax-includedAmount`]: "100.00",
      [`${D}/BasicInformation/TotalTax-includedAmountInChinese`]: "壹佰圆整",
      [`${D}/BasicInformation/Drawer`]: "王小明",
      // 16:30 UTC is half past midnight in China.
      [`${D}/BasicInformation/RequestTime`]: "2024-03-06 00:30:00",
      [`${D}/IssuItemInformation[2]/ItemName`]: `*乳制品*"牛奶" & <酸奶>`,
      [`${D}/IssuItemInformation[2]/SpecMod`]: "1L×6",
      [`${D}/IssuItemInformation[2]/TaxRate`]: "0.09",
      [`${D}/IssuItemInformation[1]/Quantity`]: "2",
      [`${D}/IssuItemInformation[1]/UnPrice`]: "44.2477876106195",
      [`${D}/IssuItemInformation[1]/Amount`]: "88.50",
      [`${D}/IssuItemInformation[1]/ComTaxAm`]: "11.50",
      [`${D}/IssuItemInformation[3]/Quantity`]: "",
      "/EInvoice/TaxSupervisionInfo/InvoiceNumber": "24442000000000012345",
      "/EInvoice/TaxSupervisionInfo/IssueTime": "2024-03-06 00:30:00",
      "/EInvoice/TaxSupervisionInfo/TaxBureauCode": "14403000000",
      "/EInvoice/TaxSupervisionInfo/TaxBureauName": "国家税务总局深圳市税务局",
    };
    for (const [path, value] of Object.entries(expected)) {
      expect(await xpath(xml, `string(${path})`), path).toBe(value);
    }
  });

  it("writes a red invoice's negative amounts and 负 capitals", async () => {
    const red = redInvoiceDocument();
    const redXml = renderInvoiceXml({ ...red, totals: { ...red.totals, totalInCapitals: "壹佰圆整" } });
    expect(await wellFormedErrors(redXml)).toBe("");
    expect(await xpath(redXml, `string(${D}/BasicInformation/TotalTax-includedAmountInChinese)`)).toBe(
      "负壹佰圆整",
    );
    expect(await xpath(redXml, `string(${D}/BasicInformation/TotalTax-includedAmount)`)).toBe("-100.00");
    expect(await xpath(redXml, `string(${D}/IssuItemInformation/Amount)`)).toBe("-88.50");
  });

  it("leaves the number empty on a preview", async () => {
    const previewXml = renderInvoiceXml(
      invoiceDocument({ mode: "preview", number: undefined, taxBureau: undefined }),
    );
    expect(await wellFormedErrors(previewXml)).toBe("");
    expect(await xpath(previewXml, "count(/EInvoice/Header/EIid)")).toBe("1");
    expect(await xpath(previewXml, "string(/EInvoice/Header/EIid)")).toBe("");
    expect(await xpath(previewXml, "string(/EInvoice/TaxSupervisionInfo/TaxBureauName)")).toBe("");
  });
});
