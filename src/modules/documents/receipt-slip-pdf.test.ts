import { describe, expect, it } from "vitest";
import { decodeQrCodes, describeWithTools, pdfToPngs, pdfToText } from "../../../test/support/system-tools";
import { receiptSlip } from "./documents.factories";
import type { ReceiptSlipFormat } from "./documents.types";
import { renderReceiptSlipPdf } from "./receipt-slip-pdf";

const FORMATS: ReceiptSlipFormat[] = ["58mm", "80mm", "A4"];
const MM = 72 / 25.4;
const flat = (text: string) => text.replace(/\s+/g, "");

/** Page sizes as written in the PDF's page dictionaries (pdfkit writes them uncompressed). */
function pageSizes(pdf: Buffer): Array<{ width: number; height: number }> {
  const boxes = pdf.toString("latin1").matchAll(/\/MediaBox \[0 0 ([\d.]+) ([\d.]+)\]/g);
  return [...boxes].map((box) => ({ width: Number(box[1]), height: Number(box[2]) }));
}

describeWithTools(["pdftoppm", "zbarimg"], "renderReceiptSlipPdf: QR read back with zbarimg", () => {
  for (const format of FORMATS) {
    it(`prints a QR that decodes to the exact consumer URL (${format})`, async () => {
      const slip = receiptSlip({ url: `https://piaoma.example.com/s/${format}-Zx9_Kq-7Tt3vBn2Lm8Pw4Rj6Hd` });
      const { files, cleanup } = await pdfToPngs(await renderReceiptSlipPdf(slip, format), { dpi: 200 });
      try {
        expect(files).toHaveLength(1);
        expect(await decodeQrCodes(files[0]!)).toEqual([slip.url]);
      } finally {
        await cleanup();
      }
    });
  }
});

describeWithTools(["pdftotext"], "renderReceiptSlipPdf: text read back with pdftotext", () => {
  for (const format of FORMATS) {
    it(`shows the seller, serial, time, lines, total, call to action, validity and footer (${format})`, async () => {
      const slip = receiptSlip();
      const pdf = await renderReceiptSlipPdf(slip, format);
      const text = flat(await pdfToText(pdf));
      const expected = [
        slip.sellerName,
        `小票流水号：${slip.serialNo}`,
        // 04:12:30 UTC is 12:12:30 in China.
        "2024-03-0612:12:30",
        ...slip.lines.flatMap((line) => [line.name, line.amount]),
        "扫码开具电子发票",
        "有效期至：2024-04-0523:59",
        slip.footer!,
      ];
      for (const piece of expected) expect(text, piece).toContain(flat(piece));
      // The total sits on the 合计 line.
      expect(await pdfToText(pdf, { layout: true })).toMatch(/合计 +¥80\.00/);
    });
  }

  it("leaves out the validity when the code does not expire", async () => {
    const text = await pdfToText(await renderReceiptSlipPdf(receiptSlip({ expiresAt: undefined }), "80mm"));
    expect(text).not.toContain("有效期至");
    expect(text).toContain("扫码开具电子发票");
  });
});

describe("renderReceiptSlipPdf: paper", () => {
  it("makes thermal pages as wide as the roll and as tall as the content", async () => {
    const short = receiptSlip({ lines: [{ name: "米饭", quantity: "1", amount: "3.00" }] });
    const long = receiptSlip({
      lines: Array.from({ length: 30 }, (_, i) => ({ name: `菜品${i + 1}`, quantity: "1", amount: "3.00" })),
    });
    for (const [format, width] of [
      ["58mm", 58 * MM],
      ["80mm", 80 * MM],
    ] as const) {
      const [shortPage] = pageSizes(await renderReceiptSlipPdf(short, format));
      const longPages = pageSizes(await renderReceiptSlipPdf(long, format));
      expect(shortPage!.width).toBeCloseTo(width, 1);
      expect(longPages).toHaveLength(1);
      // Thirty lines instead of one make the roll longer, line by line.
      expect(longPages[0]!.height - shortPage!.height).toBeGreaterThan(29 * 9);
    }
  });

  it("prints A4 on A4 sheets, continuing on a new sheet when the receipt is very long", async () => {
    const [page] = pageSizes(await renderReceiptSlipPdf(receiptSlip(), "A4"));
    expect(page).toEqual({ width: 595.28, height: 841.89 });
    const long = receiptSlip({
      lines: Array.from({ length: 60 }, (_, i) => ({ name: `菜品${i + 1}`, quantity: "1", amount: "3.00" })),
    });
    expect(pageSizes(await renderReceiptSlipPdf(long, "A4")).length).toBeGreaterThan(1);
  });
});
