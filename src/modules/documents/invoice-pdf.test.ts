import { describe, expect, it } from "vitest";
import {
  decodeQrCodes,
  describeWithTools,
  type PdfWord,
  pdfToPngs,
  pdfToText,
  pdfWords,
  runToolOk,
} from "../../../test/support/system-tools";
import { invoiceQrText, isQrTextIntact } from "../../domain";
import { invoiceDocument, invoiceLine, redInvoiceDocument } from "./documents.factories";
import type { InvoiceDocument } from "./documents.types";
import { renderInvoicePdf } from "./invoice-pdf";
import { COLUMN_X, COLUMNS } from "./invoice-pdf-layout";

/** Text with all whitespace removed: pdftotext may break or pad lines, the characters stay in order. */
const flat = (text: string) => text.replace(/\s+/g, "");

async function extract(doc: InvoiceDocument): Promise<{ raw: string; layout: string }> {
  const pdf = await renderInvoicePdf(doc);
  const [raw, layout] = await Promise.all([pdfToText(pdf), pdfToText(pdf, { layout: true })]);
  return { raw: flat(raw), layout: flat(layout) };
}

const fiveLines = [
  invoiceLine({ itemName: "*餐饮服务*午餐", amount: "88.50", tax: "11.50" }),
  invoiceLine({
    itemName: "*乳制品*纯牛奶",
    spec: "250ml×12",
    unit: "箱",
    quantity: "3",
    unitPrice: "53.0973451327434",
    amount: "159.29",
    tax: "20.71",
    kind: "discounted",
  }),
  // A discount row restating its line's spec and unit: the PDF prints neither (DOMAIN.md §9).
  invoiceLine({
    itemName: "*乳制品*纯牛奶",
    spec: "250ml×12",
    unit: "箱",
    quantity: undefined,
    unitPrice: undefined,
    amount: "-8.85",
    tax: "-1.15",
    kind: "discount",
  }),
  invoiceLine({
    itemName: "*饮料*矿泉水",
    quantity: "4",
    unitPrice: "2.6548672566372",
    amount: "10.62",
    tax: "1.38",
  }),
  invoiceLine({
    itemName: "*蔬菜*有机菠菜",
    taxRateLabel: "免税",
    taxRate: "0",
    zeroRateKind: "exempt",
    amount: "25.00",
    tax: "0.00",
  }),
];

const blue = invoiceDocument({
  lines: fiveLines,
  totals: {
    amountExcludingTax: "274.56",
    taxAmount: "32.44",
    totalAmount: "307.00",
    totalInCapitals: "叁佰零柒圆整",
  },
  remark: "小票流水号：POS-0001-20240306 桌号：A12",
  qrText: invoiceQrText({
    invoiceType: "digital_normal",
    number: "24442000000000012345",
    totalAmount: "307.00",
    issuedAt: new Date("2024-03-05T16:30:00Z"),
  }),
});

describeWithTools(["pdftotext"], "renderInvoicePdf: text read back with pdftotext", () => {
  it("carries every figure and party of a blue sandbox invoice, in both reading modes", async () => {
    const { raw, layout } = await extract(blue);
    const expected = [
      "电子发票（普通发票）",
      "发票号码：24442000000000012345",
      // 2024-03-05 16:30 UTC is already the 6th in China.
      "开票日期：2024年03月06日",
      "北京示例科技有限公司",
      "91110000600037341L",
      "深圳市票码餐饮管理有限公司",
      "91440300358768292H",
      "招商银行深圳科技园支行",
      ...fiveLines.flatMap((line) => [line.itemName, line.amount, line.zeroRateKind ? "***" : line.tax]),
      "53.0973451327434",
      "250ml×12",
      "免税",
      "¥274.56",
      "¥32.44",
      "价税合计（大写）",
      "叁佰零柒圆整",
      "（小写）¥307.00",
      "桌号：A12",
      "开票人：王小明",
      "沙箱测试发票不具法律效力",
    ];
    for (const text of expected) {
      expect(raw, `reading order: ${text}`).toContain(flat(text));
      expect(layout, `-layout: ${text}`).toContain(flat(text));
    }
  });

  it("prints the sandbox mark only on sandbox invoices", async () => {
    const { raw } = await extract({ ...blue, sandbox: false });
    expect(raw).not.toContain("沙箱");
    expect(raw).toContain("24442000000000012345");
  });

  it("titles a special invoice 电子发票（增值税专用发票）", async () => {
    const { raw } = await extract({ ...blue, invoiceType: "digital_special" });
    expect(raw).toContain("电子发票（增值税专用发票）");
    expect(raw).not.toContain("电子发票（普通发票）");
  });

  it("marks a preview 预览 in place of the number", async () => {
    const { raw } = await extract({ ...blue, mode: "preview", number: undefined, qrText: undefined });
    expect(raw).toContain("发票号码：预览");
    expect(raw).not.toMatch(/\d{20}/);
    expect(raw).toContain("北京示例科技有限公司");
  });

  it("shows a red invoice as 红字 with negative amounts, （负数） capitals and the red 备注 of DOMAIN.md §8", async () => {
    const { raw, layout } = await extract(redInvoiceDocument());
    for (const text of [
      "红字",
      "发票号码：24442000000000012399",
      "-88.50",
      "-11.50",
      "¥-88.50",
      "（小写）¥-100.00",
      "（负数）壹佰圆整",
      "被红冲蓝字数电发票号码：24442000000000012345 红字发票信息确认单编号：44030024030800000017",
    ]) {
      expect(raw, text).toContain(flat(text));
      expect(layout, text).toContain(flat(text));
    }
    // The reason is kept on the record, never printed.
    expect(raw).not.toContain("销货退回");
    expect(raw).not.toContain("红冲原因");
  });

  it("prints the blue number alone while the 确认单 number is not known", async () => {
    const { raw } = await extract(
      redInvoiceDocument({ reverses: { number: "24442000000000012345", reason: "开票有误" } }),
    );
    expect(raw).toContain("被红冲蓝字数电发票号码：24442000000000012345");
    expect(raw).not.toContain("确认单");
    expect(raw).not.toContain("开票有误");
  });

  it("puts （负数） before a red invoice's capitals when the caller gave the bare amount or an older 负", async () => {
    const doc = redInvoiceDocument();
    for (const totalInCapitals of ["壹佰圆整", "负壹佰圆整"]) {
      const { raw } = await extract({ ...doc, totals: { ...doc.totals, totalInCapitals } });
      expect(raw).toContain("⊗（负数）壹佰圆整");
      expect(raw).not.toContain("负数）负");
    }
  });

  it("drops control characters and keeps markup characters as text", async () => {
    const { raw } = await extract({
      ...blue,
      buyer: { name: "A&B <Trading> \"Co\" 'Ltd'\u0000\u0007\u001b 公司", taxId: "91110000600037341L" },
    });
    expect(raw).toContain(flat("A&B <Trading> \"Co\" 'Ltd' 公司"));
  });

  it("spreads 200 lines over pages, each with the header, column titles and page x/y", async () => {
    const names = Array.from(
      { length: 200 },
      (_, i) => `*餐饮服务*测试菜品第${String(i + 1).padStart(3, "0")}号`,
    );
    const pdf = await renderInvoicePdf({
      ...blue,
      lines: names.map((itemName) => invoiceLine({ itemName })),
    });
    const pages = (await pdfToText(pdf)).split("\f").filter((page) => page.trim() !== "");
    expect(pages.length).toBeGreaterThan(5);
    const all = flat(pages.join(""));
    for (const name of names) {
      expect(all.split(name).length - 1, name).toBe(1);
    }
    pages.forEach((page, index) => {
      const text = flat(page);
      expect(text).toContain(`第${index + 1}页/共${pages.length}页`);
      expect(text).toContain("发票号码：24442000000000012345");
      expect(text).toContain("项目名称");
      expect(text).toContain("北京示例科技有限公司");
      // The totals come once, after the last line.
      expect(text.includes("价税合计"), `page ${index + 1}`).toBe(index === pages.length - 1);
    });
  });
});

function overlaps(a: PdfWord, b: PdfWord): boolean {
  // pdftotext's boxes span the font's full ascent and descent, taller than our line spacing; compare
  // the inner part of each box so that stacked lines of one cell do not count as overlapping.
  const shrink = (word: PdfWord) => (word.yMax - word.yMin) * 0.12;
  return (
    a.page === b.page &&
    a.xMin < b.xMax - 0.5 &&
    b.xMin < a.xMax - 0.5 &&
    a.yMin + shrink(a) < b.yMax - shrink(b) &&
    b.yMin + shrink(b) < a.yMax - shrink(a)
  );
}

describeWithTools(["pdftotext"], "renderInvoicePdf: layout", () => {
  const longName = "*乳制品*特仑苏纯牛奶 Deluxe 250ml×12盒 礼盒装（限量版本，包含赠品与手提袋，节日特供）";

  it("wraps a long item name inside its column without overlapping any other text", async () => {
    const doc = invoiceDocument({
      lines: [
        invoiceLine(),
        invoiceLine({ itemName: longName, spec: "250ml×12 Deluxe Edition" }),
        invoiceLine(),
      ],
    });
    const pdf = await renderInvoicePdf(doc);
    const words = await pdfWords(pdf);
    const nameColumnRight = COLUMN_X[0]! + COLUMNS[0]!.width;
    const nameWords = words.filter((word) => word.xMin < nameColumnRight && longName.includes(word.text));
    // The name came out on several lines, all inside the name column.
    expect(new Set(nameWords.map((word) => Math.round(word.yMin))).size).toBeGreaterThan(1);
    for (const word of nameWords) expect(word.xMax, word.text).toBeLessThanOrEqual(nameColumnRight);
    expect(flat(nameWords.map((word) => word.text).join(""))).toBe(flat(longName));
    for (const [i, a] of words.entries()) {
      for (const b of words.slice(i + 1)) {
        expect(overlaps(a, b), `"${a.text}" overlaps "${b.text}"`).toBe(false);
      }
    }
  });

  it("keeps text apart on every page of a long red invoice", async () => {
    const doc = redInvoiceDocument({
      lines: Array.from({ length: 60 }, (_, i) =>
        invoiceLine({
          itemName: i % 7 === 0 ? longName : `*餐饮服务*菜品${i}`,
          amount: "-88.50",
          tax: "-11.50",
        }),
      ),
      remark: "退货单号：RT-20240308-0001\n经办人：李四",
    });
    const words = await pdfWords(await renderInvoicePdf(doc));
    expect(new Set(words.map((word) => word.page)).size).toBeGreaterThan(1);
    for (const [i, a] of words.entries()) {
      for (const b of words.slice(i + 1)) {
        if (b.page !== a.page) break;
        expect(overlaps(a, b), `page ${a.page}: "${a.text}" overlaps "${b.text}"`).toBe(false);
      }
    }
  });
});

describeWithTools(["pdftotext"], "renderInvoicePdf: what each line prints (DOMAIN.md §9)", () => {
  /** The words printed in a column's band on the row whose name column starts with `name`. */
  async function rowCells(pdf: Buffer, rowIndex: number): Promise<Record<string, string>> {
    const words = await pdfWords(pdf);
    const tops = [
      ...new Set(
        words
          .filter((w) => w.xMax <= COLUMN_X[0]! + COLUMNS[0]!.width && w.text.startsWith("*"))
          .map((w) => Math.round(w.yMin)),
      ),
    ].sort((a, b) => a - b);
    const top = tops[rowIndex]!;
    const cells: Record<string, string> = {};
    COLUMNS.forEach((column, i) => {
      const left = COLUMN_X[i]!;
      cells[column.title] = words
        .filter(
          (w) => Math.abs(Math.round(w.yMin) - top) <= 2 && w.xMin >= left && w.xMax <= left + column.width,
        )
        .map((w) => w.text)
        .join("");
    });
    return cells;
  }

  it("leaves 规格型号, 单位, 数量 and 单价 of a discount line blank, and prints its negative 金额 and 税额", async () => {
    const pdf = await renderInvoicePdf(blue);
    const discounted = await rowCells(pdf, 1);
    expect(discounted).toMatchObject({ 规格型号: "250ml×12", 单位: "箱", 数量: "3" });
    const discount = await rowCells(pdf, 2);
    expect(discount).toMatchObject({
      项目名称: "*乳制品*纯牛奶",
      规格型号: "",
      单位: "",
      数量: "",
      单价: "",
      金额: "-8.85",
      "税率/征收率": "13%",
      税额: "-1.15",
    });
  });

  it("prints 免税 / 不征税 in 税率 and *** in 税额; an export line its 0% and 0.00", async () => {
    const pdf = await renderInvoicePdf(
      invoiceDocument({
        lines: [
          invoiceLine({
            itemName: "*蔬菜*菠菜",
            taxRate: "0",
            taxRateLabel: "免税",
            zeroRateKind: "exempt",
            tax: "0.00",
          }),
          invoiceLine({
            itemName: "*预付卡销售*储值卡",
            taxRate: "0",
            taxRateLabel: "不征税",
            zeroRateKind: "not_taxable",
            tax: "0.00",
          }),
          invoiceLine({
            itemName: "*服装*T恤",
            taxRate: "0",
            taxRateLabel: "0%",
            zeroRateKind: "export",
            tax: "0.00",
          }),
        ],
      }),
    );
    expect(await rowCells(pdf, 0)).toMatchObject({ "税率/征收率": "免税", 税额: "***" });
    expect(await rowCells(pdf, 1)).toMatchObject({ "税率/征收率": "不征税", 税额: "***" });
    expect(await rowCells(pdf, 2)).toMatchObject({ "税率/征收率": "0%", 税额: "0.00" });
  });
});

describeWithTools(["pdffonts"], "renderInvoicePdf: fonts", () => {
  it("embeds only subsets of Noto Sans SC, with Unicode maps", async () => {
    const out = (await runToolOk("pdffonts", ["-"], await renderInvoicePdf(blue))).toString("utf8");
    const fonts = out.split("\n").slice(2).filter(Boolean);
    expect(fonts.length).toBeGreaterThan(0);
    for (const font of fonts) {
      expect(font).toMatch(/^[A-Z]{6}\+NotoSansSC-\w+\s+CID TrueType\s+Identity-H\s+yes yes yes/);
    }
  });
});

/** pdffonts' rows: font name and whether it is embedded, a subset and has a Unicode map. */
async function fontsOf(pdf: Buffer): Promise<Array<{ name: string; flags: string }>> {
  const out = (await runToolOk("pdffonts", ["-"], pdf)).toString("utf8");
  return out
    .split("\n")
    .slice(2)
    .filter(Boolean)
    .map((row) => {
      // The type column has a space of its own ("CID TrueType").
      const [name, , , , emb, sub, uni] = row.split(/\s+/);
      return { name: name!, flags: `${emb} ${sub} ${uni}` };
    });
}

describeWithTools(["pdftotext", "pdffonts"], "renderInvoicePdf: the template font", () => {
  // The labels' font is built once per process and embedded as the same bytes in every document;
  // each document's own text is in its own subset.
  const other = invoiceDocument({
    number: "24442000000000067890",
    buyer: { name: "广州另一家贸易有限公司", taxId: "91440101MA59ABCDEF" },
    lines: [invoiceLine({ itemName: "*日用品*竹制筷子", amount: "31.86", tax: "4.14" })],
    drawer: "陈开票",
  });

  it("is embedded in each of two different invoices rendered in a row, next to each one's own text", async () => {
    const first = await renderInvoicePdf(blue);
    const second = await renderInvoicePdf(other);
    const [firstText, secondText] = (await Promise.all([pdfToText(first), pdfToText(second)])).map(flat);
    expect(firstText).toContain("发票号码：24442000000000012345");
    expect(firstText).toContain("购买方信息");
    expect(firstText).toContain("北京示例科技有限公司");
    expect(firstText).not.toContain("广州另一家贸易有限公司");
    expect(secondText).toContain("发票号码：24442000000000067890");
    expect(secondText).toContain("购买方信息");
    expect(secondText).toContain("广州另一家贸易有限公司");
    expect(secondText).toContain("91440101MA59ABCDEF");
    expect(secondText).toContain("*日用品*竹制筷子");
    expect(secondText).toContain("开票人：陈开票");
    expect(secondText).not.toContain("北京示例科技有限公司");

    const [firstFonts, secondFonts] = await Promise.all([fontsOf(first), fontsOf(second)]);
    const regular = (fonts: Array<{ name: string }>) =>
      fonts.map((font) => font.name).filter((name) => name.endsWith("-Regular"));
    // Two regular fonts each: the template (same name, same glyphs) and the document's own subset.
    expect(regular(firstFonts)).toHaveLength(2);
    expect(regular(secondFonts)).toHaveLength(2);
    const shared = regular(firstFonts).filter((name) => regular(secondFonts).includes(name));
    expect(shared).toHaveLength(1);
    for (const font of [...firstFonts, ...secondFonts]) expect(font.flags).toBe("yes yes yes");
  });

  it("gives an invoice the same bytes again after another one's subset was built in between (subsets kept for reuse)", async () => {
    const first = await renderInvoicePdf(blue);
    const between = await renderInvoicePdf(other);
    const again = await renderInvoicePdf(blue);
    expect(again.equals(first)).toBe(true);
    expect(between.equals(first)).toBe(false);
    const text = flat(await pdfToText(again));
    expect(text).toContain("北京示例科技有限公司");
    expect(text).not.toContain("广州另一家贸易有限公司");
    expect(flat(await pdfToText(between))).toContain("广州另一家贸易有限公司");
  });

  it("holds all the wording an invoice always prints, so text of template characters needs no subset of its own", async () => {
    const pdf = await renderInvoicePdf(
      invoiceDocument({
        buyer: { name: "1", taxId: "2" },
        seller: { name: "3", taxId: "4", address: "5", phone: "6", bankName: "7", bankAccount: "8" },
        lines: [invoiceLine({ itemName: "9", unit: "0", spec: "1" })],
        remark: "2",
        drawer: "3",
      }),
    );
    const names = (await fontsOf(pdf)).map((font) => font.name);
    // The bold title and capitals are a document subset; every regular text came from the template.
    expect(names.filter((name) => name.endsWith("-Regular"))).toHaveLength(1);
    expect(flat(await pdfToText(pdf))).toContain("开户行及账号：78");
  });
});

describeWithTools(["pdftoppm", "zbarimg"], "renderInvoicePdf: invoice QR", () => {
  it("draws a QR that decodes to the invoice's QR text, whose checksum verifies (blue and red)", async () => {
    for (const doc of [blue, redInvoiceDocument()]) {
      const { files, cleanup } = await pdfToPngs(await renderInvoicePdf(doc), { dpi: 150 });
      try {
        const decoded = await decodeQrCodes(files[0]!);
        expect(decoded).toEqual([doc.qrText]);
        expect(isQrTextIntact(decoded[0]!)).toBe(true);
        // 价税合计, not 合计金额 (DOMAIN.md §7).
        expect(decoded[0]!.split(",")[4]).toBe(doc.totals.totalAmount);
      } finally {
        await cleanup();
      }
    }
  });
});

describe("renderInvoicePdf", () => {
  it("returns a PDF, the same bytes for the same invoice", async () => {
    const [a, b] = await Promise.all([renderInvoicePdf(blue), renderInvoicePdf(blue)]);
    expect(a.subarray(0, 5).toString("latin1")).toBe("%PDF-");
    expect(a.equals(b)).toBe(true);
  });

  it("renders a preview without a number or QR text", async () => {
    const pdf = await renderInvoicePdf({ ...blue, mode: "preview", number: undefined, qrText: undefined });
    expect(pdf.subarray(0, 5).toString("latin1")).toBe("%PDF-");
  });
});
