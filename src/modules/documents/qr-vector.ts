import QRCode from "qrcode";

/**
 * Draws a QR code as filled vector squares: sharp at any zoom and on any printer, and much cheaper
 * than rendering a bitmap and embedding it. Dark modules of a row are merged into runs, and the whole
 * symbol is filled as one path so that renderers leave no hairline seams between modules.
 *
 * `size` is the side of the symbol including `quietZone` light modules on each side (the light
 * modules are left unpainted; put the code on a light background).
 */
export function drawQrCode(
  doc: PDFKit.PDFDocument,
  text: string,
  x: number,
  y: number,
  size: number,
  options: { quietZone?: number; color?: string } = {},
): void {
  const quietZone = options.quietZone ?? 0;
  const { modules } = QRCode.create(text, { errorCorrectionLevel: "M" });
  const count = modules.size;
  const module = size / (count + 2 * quietZone);
  const origin = quietZone * module;
  for (let row = 0; row < count; row++) {
    let col = 0;
    while (col < count) {
      if (!modules.data[row * count + col]) {
        col++;
        continue;
      }
      const start = col;
      while (col < count && modules.data[row * count + col]) col++;
      doc.rect(x + origin + start * module, y + origin + row * module, (col - start) * module, module);
    }
  }
  doc.fill(options.color ?? "#000000");
}
