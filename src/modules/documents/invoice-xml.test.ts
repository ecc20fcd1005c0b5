import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { describeWithTools, runTool } from "../../../test/support/system-tools";
import { invoiceDocument, invoiceLine, redInvoiceDocument } from "./documents.factories";
import type { InvoiceDocument } from "./documents.types";
import { renderInvoiceXml } from "./invoice-xml";
import { escapeXmlText } from "./xml-writer";

const SCHEMA = fileURLToPath(new URL("./einvoice.xsd", import.meta.url));

/** Evaluates an XPath expression over the XML with libxml2, the real parser the checks rely on. */
async function xpath(xml: string, expression: string): Promise<string> {
  const result = await runTool("xmllint", ["--xpath", expression, "-"], xml);
  // xmllint exits with 10 when an expression selects nothing; string() and count() always select.
  if (result.exitCode !== 0) throw new Error(`xmllint --xpath ${expression}: ${result.stderr}`);
  // Newer xmllint versions end the printed result with a line feed.
  return result.stdout.toString("utf8").replace(/\n$/, "");
}

/** xmllint's complaints against einvoice.xsd (well-formedness included); "" when the file is valid. */
async function schemaErrors(xml: string): Promise<string> {
  const result = await runTool("xmllint", ["--noout", "--schema", SCHEMA, "-"], xml);
  return result.exitCode === 0 ? "" : result.stderr || `exit ${result.exitCode}`;
}

const D = "/EInvoice/EInvoiceData";
const item = (n: number, field: string) => `string(${D}/IssuItemInformation[${n}]/${field})`;

/** Every line kind the XML must carry: normal, discounted with its discount, 免税, 不征税, no quantity. */
const mixedLines = [
  invoiceLine(),
  invoiceLine({
    itemName: "*乳制品*纯牛奶",
    taxCode: "1030199000000000000",
    spec: "250ml×12",
    unit: "箱",
    quantity: "3",
    unitPrice: "53.0973451327434",
    amount: "159.29",
    tax: "20.71",
    kind: "discounted",
  }),
  // A discount row restating its line's spec and unit: neither may reach the file.
  invoiceLine({
    itemName: "*乳制品*纯牛奶",
    taxCode: "1030199000000000000",
    spec: "250ml×12",
    unit: "箱",
    quantity: undefined,
    unitPrice: undefined,
    amount: "-8.85",
    tax: "-1.15",
    kind: "discount",
  }),
  invoiceLine({
    itemName: "*蔬菜*有机菠菜",
    taxCode: "1010112000000000000",
    taxRateLabel: "免税",
    taxRate: "0",
    zeroRateKind: "exempt",
    amount: "25.00",
    tax: "0.00",
  }),
  invoiceLine({
    itemName: "*预付卡销售*储值卡",
    taxCode: "6010000000000000000",
    unit: undefined,
    quantity: undefined,
    unitPrice: undefined,
    taxRateLabel: "不征税",
    taxRate: "0",
    zeroRateKind: "not_taxable",
    amount: "200.00",
    tax: "0.00",
  }),
];

const blue = invoiceDocument({
  lines: mixedLines,
  totals: {
    amountExcludingTax: "474.56",
    taxAmount: "32.44",
    totalAmount: "507.00",
    totalInCapitals: "伍佰零柒圆整",
  },
});

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

  it("leaves empty optional elements out, and writes none of them empty", () => {
    const xml = renderInvoiceXml(
      invoiceDocument({ buyer: { name: "张三", taxId: "", address: " ", phone: "\u0000" }, remark: "" }),
    );
    expect(xml).not.toMatch(/<\w+\/>\n(?!\s*<\/EInvoiceData>)/);
    for (const name of ["BuyerIdNum", "BuyerAddr", "BuyerTelNum", "BuyerBankName", "AdditionalInformation"]) {
      expect(xml, name).not.toContain(`<${name}`);
    }
    // SpecificInformation is part of every file: empty on a blue invoice.
    expect(xml).toContain("<SpecificInformation/>");
  });

  it("is only for an issued invoice: a preview has no number and no XML", () => {
    expect(() => renderInvoiceXml(invoiceDocument({ mode: "preview", number: undefined }))).toThrow(
      RangeError,
    );
  });
});

describeWithTools(["xmllint"], "renderInvoiceXml: validated against einvoice.xsd (DOMAIN.md §9)", () => {
  const hostile = `A&B <Trading> "Co" 'Ltd' ]]> &amp;`;
  const special: InvoiceDocument = {
    ...blue,
    invoiceType: "digital_special",
    buyer: {
      name: `${hostile}\u0000\u0001\u0008\u000b\u000c\u001f\ufffe 公司`,
      taxId: "91110000600037341L",
      address: "北京市朝阳区<建国路>88号",
      phone: "010-12345678",
      bankName: "中国银行&北京分行",
      bankAccount: "'3400'",
    },
  };
  const red = redInvoiceDocument({ remark: "退货单号：RT-20240308-0001\n经办人：李四" });

  it("validates a blue 普票, a blue 专票 with hostile text, and a red invoice", async () => {
    expect(await schemaErrors(renderInvoiceXml(blue))).toBe("");
    expect(await schemaErrors(renderInvoiceXml(special))).toBe("");
    expect(await schemaErrors(renderInvoiceXml(red))).toBe("");
  });

  it("validates a person without a tax ID and a red invoice whose 确认单 number is not known yet", async () => {
    const person = invoiceDocument({ buyer: { name: "张三" }, remark: undefined });
    expect(await schemaErrors(renderInvoiceXml(person))).toBe("");
    const pending = redInvoiceDocument({ reverses: { number: "24442000000000012345", reason: "开票有误" } });
    expect(await schemaErrors(renderInvoiceXml(pending))).toBe("");
  });

  it("is a schema that refuses what §9 does not allow: elements out of order, empty or missing", async () => {
    const xml = renderInvoiceXml(blue);
    const swapped = xml.replace(
      /(<SellerIdNum>.*<\/SellerIdNum>)(\s*)(<SellerName>.*<\/SellerName>)/,
      "$3$2$1",
    );
    expect(swapped).not.toBe(xml);
    expect(await schemaErrors(swapped)).toMatch(/SellerName/);
    expect(await schemaErrors(xml.replace("<SellerName>", "<SellerAddr/>\n<SellerName>"))).not.toBe("");
    expect(
      await schemaErrors(xml.replace(/<TaxClassificationCode>\d+/, "<TaxClassificationCode>123")),
    ).not.toBe("");
    expect(await schemaErrors(xml.replace(/<SpecificInformation\/>\n/, ""))).not.toBe("");
    expect(
      await schemaErrors(xml.replace("<IssueTime>2024-03-06", "<IssueTime>2024-03-06 00:30:00")),
    ).not.toBe("");
  });

  it("carries the header, the parties, the totals and the supervision block, markup intact once parsed", async () => {
    const xml = renderInvoiceXml(special);
    const expected: Record<string, string> = {
      "/EInvoice/Header/EIid": "24442000000000012345",
      "/EInvoice/Header/EInvoiceTag": "SWEI4400",
      "/EInvoice/Header/Version": "0.31",
      "/EInvoice/Header/InherentLabel/InIssuType/LabelCode": "Y",
      "/EInvoice/Header/InherentLabel/InIssuType/LabelName": "是否蓝字发票标志",
      "/EInvoice/Header/InherentLabel/EInvoiceType/LabelCode": "01",
      "/EInvoice/Header/InherentLabel/EInvoiceType/LabelName": "电子发票",
      "/EInvoice/Header/InherentLabel/GeneralOrSpecialVAT/LabelCode": "01",
      "/EInvoice/Header/InherentLabel/GeneralOrSpecialVAT/LabelName": "增值税专用发票",
      [`${D}/SellerInformation/SellerIdNum`]: "91440300358768292H",
      [`${D}/SellerInformation/SellerName`]: "深圳市票码餐饮管理有限公司",
      [`${D}/SellerInformation/SellerBankAccNum`]: "755912345610801",
      [`${D}/BuyerInformation/BuyerName`]: `${hostile} 公司`,
      [`${D}/BuyerInformation/BuyerAddr`]: "北京市朝阳区<建国路>88号",
      [`${D}/BuyerInformation/BuyerBankName`]: "中国银行&北京分行",
      [`${D}/BuyerInformation/BuyerBankAccNum`]: "'3400'",
      [`${D}/BasicInformation/TotalAmWithoutTax`]: "474.56",
      [`${D}/BasicInformation/TotalTaxAm`]: "32.44",
      [`${D}/BasicInformation/TotalTax-includedAmount`]: "507.00",
      [`${D}/BasicInformation/TotalTax-includedAmountInChinese`]: "伍佰零柒圆整",
      [`${D}/BasicInformation/Drawer`]: "王小明",
      // 16:30 UTC is half past midnight in China.
      [`${D}/BasicInformation/RequestTime`]: "2024-03-06 00:30:00",
      [`${D}/AdditionalInformation/Remark`]: "小票流水号：POS-0001-20240306",
      "/EInvoice/TaxSupervisionInfo/InvoiceNumber": "24442000000000012345",
      // A date, not a date-time.
      "/EInvoice/TaxSupervisionInfo/IssueTime": "2024-03-06",
      // From the seller's province (91 44 …): Guangdong.
      "/EInvoice/TaxSupervisionInfo/TaxBureauCode": "14400000000",
      "/EInvoice/TaxSupervisionInfo/TaxBureauName": "国家税务总局广东省税务局",
    };
    for (const [path, value] of Object.entries(expected)) {
      expect(await xpath(xml, `string(${path})`), path).toBe(value);
    }
    expect(await xpath(xml, `count(${D}/SpecificInformation/*)`)).toBe("0");
    expect(await xpath(xml, `string(${D}/BasicInformation/TotalTax-includedAmountInChinese)`)).toBe(
      "伍佰零柒圆整",
    );
  });

  it("takes the tax bureau from the seller's province, or from a channel that names its own", async () => {
    const beijing = renderInvoiceXml(
      invoiceDocument({ seller: { name: "北京示例科技有限公司", taxId: "91110000600037341L" } }),
    );
    expect(await xpath(beijing, "string(/EInvoice/TaxSupervisionInfo/TaxBureauCode)")).toBe("11100000000");
    expect(await xpath(beijing, "string(/EInvoice/TaxSupervisionInfo/TaxBureauName)")).toBe(
      "国家税务总局北京市税务局",
    );
    expect(await xpath(beijing, "string(/EInvoice/Header/EInvoiceTag)")).toBe("SWEI1100");
    const named = renderInvoiceXml(
      invoiceDocument({ taxBureau: { code: "14403000000", name: "国家税务总局深圳市税务局" } }),
    );
    expect(await schemaErrors(named)).toBe("");
    expect(await xpath(named, "string(/EInvoice/TaxSupervisionInfo/TaxBureauName)")).toBe(
      "国家税务总局深圳市税务局",
    );
  });

  it("writes each line with its 19-digit tax code and 价税合计; a discount line without spec, unit, quantity or price", async () => {
    const xml = renderInvoiceXml(blue);
    expect(await xpath(xml, `count(${D}/IssuItemInformation)`)).toBe("5");
    expect(await xpath(xml, item(1, "Quantity"))).toBe("2");
    expect(await xpath(xml, item(1, "UnPrice"))).toBe("44.2477876106195");
    expect(await xpath(xml, item(1, "TaxRate"))).toBe("0.13");
    expect(await xpath(xml, item(1, "TotaltaxIncludedAmount"))).toBe("100.00");
    expect(await xpath(xml, item(1, "TaxClassificationCode"))).toBe("3070401000000000000");
    expect(await xpath(xml, item(2, "SpecMod"))).toBe("250ml×12");
    expect(await xpath(xml, item(2, "MeaUnits"))).toBe("箱");
    // The discount line: its own amounts, nothing of its line's spec, unit, quantity or price.
    expect(await xpath(xml, item(3, "Amount"))).toBe("-8.85");
    expect(await xpath(xml, item(3, "ComTaxAm"))).toBe("-1.15");
    expect(await xpath(xml, item(3, "TotaltaxIncludedAmount"))).toBe("-10.00");
    expect(await xpath(xml, item(3, "TaxClassificationCode"))).toBe("1030199000000000000");
    expect(await xpath(xml, `count(${D}/IssuItemInformation[3]/*)`)).toBe("6");
    for (const field of ["SpecMod", "MeaUnits", "Quantity", "UnPrice"]) {
      expect(await xpath(xml, `count(${D}/IssuItemInformation[3]/${field})`), field).toBe("0");
    }
  });

  it("keeps the kind of a 免税 or 不征税 line in TaxRate rather than a bare 0", async () => {
    const xml = renderInvoiceXml(blue);
    expect(await xpath(xml, item(4, "TaxRate"))).toBe("免税");
    expect(await xpath(xml, item(4, "ComTaxAm"))).toBe("0.00");
    expect(await xpath(xml, item(5, "TaxRate"))).toBe("不征税");
    const exportLine = renderInvoiceXml(
      invoiceDocument({
        lines: [invoiceLine({ taxRate: "0", taxRateLabel: "0%", zeroRateKind: "export", tax: "0.00" })],
      }),
    );
    expect(await xpath(exportLine, item(1, "TaxRate"))).toBe("0");
  });

  it("marks a red invoice: InIssuType N, RedEInvoice with the blue and 确认单 numbers, （负数） capitals, the red 备注", async () => {
    const xml = renderInvoiceXml(red);
    expect(await xpath(xml, "string(/EInvoice/Header/InherentLabel/InIssuType/LabelCode)")).toBe("N");
    expect(await xpath(xml, `string(${D}/SpecificInformation/RedEInvoice/OriginalInvoiceCode)`)).toBe(
      "24442000000000012345",
    );
    expect(await xpath(xml, `string(${D}/SpecificInformation/RedEInvoice/CreditNoteNumber)`)).toBe(
      "44030024030800000017",
    );
    expect(await xpath(xml, `string(${D}/BasicInformation/TotalTax-includedAmountInChinese)`)).toBe(
      "（负数）壹佰圆整",
    );
    expect(await xpath(xml, `string(${D}/BasicInformation/TotalTax-includedAmount)`)).toBe("-100.00");
    expect(await xpath(xml, item(1, "Amount"))).toBe("-88.50");
    expect(await xpath(xml, item(1, "Quantity"))).toBe("-2");
    expect(await xpath(xml, item(1, "TotaltaxIncludedAmount"))).toBe("-100.00");
    // The 备注 as printed, line break kept, and never the reason.
    expect(await xpath(xml, `string(${D}/AdditionalInformation/Remark)`)).toBe(
      "被红冲蓝字数电发票号码：24442000000000012345 红字发票信息确认单编号：44030024030800000017\n" +
        "退货单号：RT-20240308-0001\n经办人：李四",
    );
    expect(xml).not.toContain("销货退回");
  });

  it("leaves CreditNoteNumber out while the 确认单 number is not known", async () => {
    const xml = renderInvoiceXml(
      redInvoiceDocument({ reverses: { number: "24442000000000012345", reason: "开票有误" } }),
    );
    expect(await xpath(xml, `count(${D}/SpecificInformation/RedEInvoice/OriginalInvoiceCode)`)).toBe("1");
    expect(await xpath(xml, `count(${D}/SpecificInformation/RedEInvoice/CreditNoteNumber)`)).toBe("0");
    expect(await xpath(xml, `string(${D}/AdditionalInformation/Remark)`)).toBe(
      "被红冲蓝字数电发票号码：24442000000000012345",
    );
  });
});
