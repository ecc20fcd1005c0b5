import { constants, inflateSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { describeWithTools, pdfToText } from "../../../test/support/system-tools";
import { invoiceDocument, invoiceLine, redInvoiceDocument } from "./documents.factories";
import type { InvoiceDocument } from "./documents.types";
import { renderInvoicePdf } from "./invoice-pdf";
import { PAGE_CONTENT_LEVEL, PdfCanvas, type PdfEngine } from "./pdf-canvas";

/**
 * The file's objects in order, each compressed stream inflated and its /Length dropped, without the
 * cross-reference table: what is left is the same whatever the zlib level.
 */
function objectsInflated(pdf: Buffer): string {
  const parts: string[] = [];
  let at = pdf.indexOf("\n") + 1;
  at = pdf.indexOf("\n", at) + 1;
  const xref = pdf.lastIndexOf("\nxref\n");
  while (at < xref) {
    const streamAt = pdf.indexOf("\nstream\n", at);
    const endAt = pdf.indexOf("\nendobj\n", at);
    if (streamAt !== -1 && streamAt < endAt) {
      const dictionary = pdf.subarray(at, streamAt).toString("latin1");
      const length = Number(/\/Length (\d+)/.exec(dictionary)![1]);
      const start = streamAt + "\nstream\n".length;
      const stream = pdf.subarray(start, start + length);
      parts.push(dictionary.replace(/\/Length \d+/, "/Length ?"), inflateSync(stream).toString("latin1"));
      at = pdf.indexOf("\nendobj\n", start + length) + "\nendobj\n".length;
    } else {
      parts.push(pdf.subarray(at, endAt).toString("latin1"));
      at = endAt + "\nendobj\n".length;
    }
  }
  return parts.join("\n");
}

/**
 * PdfWriter writes the file structure pdfkit used to write for the canvas, and must write the very
 * same bytes: every invoice shape (one page and many, blue, red, preview, sandbox) through both.
 */

const manyLines = Array.from({ length: 120 }, (_, i) =>
  invoiceLine({ itemName: `*餐饮服务*套餐${i + 1}（含饮料）`, amount: "10.00", tax: "0.60" }),
);

const shapes: Array<[string, InvoiceDocument]> = [
  ["blue", invoiceDocument()],
  ["blue, not sandbox", invoiceDocument({ sandbox: false })],
  ["red", redInvoiceDocument()],
  ["preview", invoiceDocument({ mode: "preview", number: undefined, qrText: undefined })],
  ["120 lines over pages", invoiceDocument({ lines: manyLines })],
];

describe("PdfWriter", () => {
  it.each(shapes)(
    "writes the same bytes as pdfkit for a %s invoice at zlib's default level",
    async (_, doc) => {
      const ours = await renderInvoicePdf(doc, { contentLevel: constants.Z_DEFAULT_COMPRESSION });
      const pdfkit = await renderInvoicePdf(doc, { engine: "pdfkit" });
      expect(ours.length).toBeGreaterThan(10_000);
      expect(ours.equals(pdfkit)).toBe(true);
    },
  );

  it.each(shapes)(
    "writes the same objects and page content at the canvas's faster level (%s)",
    async (_, doc) => {
      expect(PAGE_CONTENT_LEVEL).not.toBe(constants.Z_DEFAULT_COMPRESSION);
      const ours = await renderInvoicePdf(doc);
      const pdfkit = await renderInvoicePdf(doc, { engine: "pdfkit" });
      expect(ours.equals(pdfkit)).toBe(false);
      const objects = objectsInflated(ours);
      expect(objects).toContain(" Tj\n");
      expect(objects).toBe(objectsInflated(pdfkit));
    },
  );

  it("writes titles with brackets, backslashes and Chinese as pdfkit does", async () => {
    const render = (title: string, engine: PdfEngine) => {
      const canvas = new PdfCanvas({
        title,
        createdAt: new Date("2026-01-02T03:04:05Z"),
        engine,
        contentLevel: constants.Z_DEFAULT_COMPRESSION,
      });
      canvas.addPage(200, 100);
      canvas.text("票码 (1)", 10, 10, { size: 9 });
      canvas.line(0, 0, 10, 10, { color: "#112233" });
      return canvas.finish();
    };
    for (const title of ["a (b) \\ c\td", "发票（1）(2) \\ 尾", ""]) {
      const [ours, pdfkit] = await Promise.all([render(title, "writer"), render(title, "pdfkit")]);
      expect(ours.equals(pdfkit)).toBe(true);
    }
  });
});

describeWithTools(["pdftotext"], "PdfWriter: text of two invoices rendered in a row", () => {
  it("reads back each invoice's own text, nothing of the one before", async () => {
    const first = invoiceDocument({
      number: "24442000000000011111",
      buyer: { name: "北京第一家科技有限公司", taxId: "91110000MA01AAAAAA" },
      lines: [invoiceLine({ itemName: "*日用品*竹制筷子", amount: "31.86", tax: "4.14" })],
    });
    const second = invoiceDocument({
      number: "24442000000000022222",
      buyer: { name: "广州第二家贸易有限公司", taxId: "91440101MA59BBBBBB" },
      lines: [invoiceLine({ itemName: "*饮料*矿泉水", amount: "10.62", tax: "1.38" })],
    });
    const [a, b] = [await renderInvoicePdf(first), await renderInvoicePdf(second)];
    const [textA, textB] = (await Promise.all([pdfToText(a), pdfToText(b)])).map((t) =>
      t.replace(/\s+/g, ""),
    );
    expect(textA).toContain("发票号码：24442000000000011111");
    expect(textA).toContain("北京第一家科技有限公司");
    expect(textA).toContain("*日用品*竹制筷子");
    expect(textA).not.toContain("广州第二家贸易有限公司");
    expect(textB).toContain("发票号码：24442000000000022222");
    expect(textB).toContain("广州第二家贸易有限公司");
    expect(textB).toContain("*饮料*矿泉水");
    expect(textB).not.toContain("北京第一家科技有限公司");
    expect(textB).not.toContain("24442000000000011111");
  });
});
