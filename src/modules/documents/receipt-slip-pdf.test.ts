import { describe, expect, it } from "vitest";
import { decodeQrCodes, describeWithTools, pdfToPngs, pdfToText } from "../../../test/support/system-tools";
import { receiptSlip } from "./documents.factories";
import type { ReceiptSlipFormat } from "./documents.types";
import { renderReceiptSlipPdf, renderReceiptSlipSheetPdf } from "./receipt-slip-pdf";

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

  for (const format of FORMATS) {
    it(`prints the 开票码 under the QR, with where to type it (${format})`, async () => {
      const slip = receiptSlip({ shortCode: "HW4E9P" });
      const text = flat(await pdfToText(await renderReceiptSlipPdf(slip, format)));
      const code = text.indexOf("开票码HW4E9P");
      expect(code, text).toBeGreaterThan(-1);
      // Below the QR: after the total (above the QR) and before the call to action (under it).
      expect(code).toBeGreaterThan(text.indexOf("¥80.00"));
      expect(code).toBeLessThan(text.indexOf("扫码开具电子发票"));
      expect(text).toContain("无法扫码时，打开piaoma.example.com/s输入开票码");
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

describeWithTools(
  ["pdftoppm", "zbarimg", "pdftotext"],
  "renderReceiptSlipSheetPdf: slips on A4 sheets",
  () => {
    it("puts four short slips on each A4 page, every QR readable, every slip's text there", async () => {
      const slips = Array.from({ length: 5 }, (_, i) =>
        receiptSlip({
          serialNo: `BATCH-${i + 1}`,
          url: `https://piaoma.example.com/s/sheet-${i + 1}-Zx9Kq7Tt3vBn`,
        }),
      );
      const pdf = await renderReceiptSlipSheetPdf(slips);
      const sizes = pageSizes(pdf);
      expect(sizes).toHaveLength(2);
      for (const size of sizes) expect(size).toEqual({ width: 595.28, height: 841.89 });
      const text = flat(await pdfToText(pdf));
      for (const slip of slips) expect(text).toContain(`小票流水号：${slip.serialNo}`);
      const { files, cleanup } = await pdfToPngs(pdf, { dpi: 200 });
      try {
        const first = await decodeQrCodes(files[0]!);
        expect(first.sort()).toEqual(
          slips
            .slice(0, 4)
            .map((s) => s.url)
            .sort(),
        );
        expect(await decodeQrCodes(files[1]!)).toEqual([slips[4]!.url]);
      } finally {
        await cleanup();
      }
    });

    it("lets a slip too tall for a column flow on over the columns, the others still whole", async () => {
      const long = receiptSlip({
        serialNo: "LONG-1",
        lines: Array.from({ length: 80 }, (_, i) => ({
          name: `商品${i + 1}`,
          quantity: "1",
          amount: "1.00",
        })),
      });
      const pdf = await renderReceiptSlipSheetPdf([receiptSlip({ serialNo: "SHORT-1" }), long]);
      const text = flat(await pdfToText(pdf));
      expect(text).toContain("商品80");
      expect(text).toContain("小票流水号：SHORT-1");
      expect(text).toContain("小票流水号：LONG-1");
    });

    it("refuses an empty list", async () => {
      await expect(renderReceiptSlipSheetPdf([])).rejects.toThrow(RangeError);
    });
  },
);
