import QRCode from "qrcode";
import { describe, expect, it } from "vitest";
import { qrPath, qrSegments } from "./qr-vector";

const INVOICE_QR = "01,32,,24442000000000012345,88.50,20240306,,5A3C";

describe("qrSegments", () => {
  it("puts the invoice number and the date in numeric mode and the rest in byte mode", () => {
    const segments = qrSegments(INVOICE_QR).map((s) => [s.mode, String(s.data)]);
    expect(segments).toEqual([
      ["byte", "01,32,,"],
      ["numeric", "24442000000000012345"],
      ["byte", ",88.50,"],
      ["numeric", "20240306"],
      ["byte", ",,5A3C"],
    ]);
  });

  it.each([
    INVOICE_QR,
    "01,04,,26442000000000000001,1234567.89,20261122,,AB12",
    "01,32,,26442000000000000001,-0.01,20260101,,0000",
    "https://piaoma.example.com/s/80mm-Zx9_Kq-7Tt3vBn2Lm8Pw4Rj6Hd",
    "票码 扫码开票 12345678",
  ])("needs no larger a symbol than the package's own segment search (%s)", (text) => {
    const searched = QRCode.create(text, { errorCorrectionLevel: "M" });
    const ours = QRCode.create(qrSegments(text), { errorCorrectionLevel: "M" });
    expect(ours.version).toBe(searched.version);
  });
});

describe("qrPath", () => {
  it("covers exactly the symbol's dark modules, one rectangle per run of a row", () => {
    const { count, path } = qrPath(INVOICE_QR);
    const { modules } = QRCode.create(qrSegments(INVOICE_QR), { errorCorrectionLevel: "M", maskPattern: 0 });
    expect(count).toBe(modules.size);
    const painted = new Array<boolean>(count * count).fill(false);
    for (const op of path.split("\n")) {
      const [x, y, width, height, operator] = op.split(" ");
      expect([height, operator]).toEqual(["1", "re"]);
      for (let col = Number(x); col < Number(x) + Number(width); col++) {
        expect(painted[Number(y) * count + col], "painted once").toBe(false);
        painted[Number(y) * count + col] = true;
      }
    }
    expect(painted).toEqual(Array.from(modules.data, Boolean));
  });
});
