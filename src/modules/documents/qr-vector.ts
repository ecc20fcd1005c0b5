import QRCode, { type QRCodeSegment } from "qrcode";

/**
 * QR codes as vector paths: sharp at any zoom and on any printer, and much cheaper than rendering a
 * bitmap and embedding it.
 *
 * The `qrcode` package, left to itself, searches for the best split of the text into segments (a
 * shortest-path search) and tries all eight masks, scoring each with the standard's penalty rules;
 * together that was most of the cost of a QR code. We give it the segments and the mask instead:
 * - digits runs long enough to pay for a segment switch go in numeric mode, the rest in byte mode,
 *   which for the invoice QR text ("01,32,,<20-digit number>,<amount>,<date>,,<crc>") gives the
 *   same segments and the same, smallest, symbol version as the search;
 * - mask 0 (a checkerboard) always: any mask makes a valid symbol that readers decode; the
 *   penalty rules only pick the one that looks least like a finder pattern.
 */

/**
 * In byte-mode text, a run of n digits costs 8n bits; as its own numeric segment it costs about
 * 10n/3 bits plus two segment headers (4 + 10 bits, and 4 + 8 bits to go back to bytes), so it
 * pays from 6 digits on.
 */
const MIN_NUMERIC_RUN = 6;
const FIXED_MASK = 0;

/** The text as numeric segments for long digit runs and byte segments for everything else. */
export function qrSegments(text: string): QRCodeSegment[] {
  const segments: QRCodeSegment[] = [];
  let bytes = "";
  // In JavaScript `\d` is ASCII 0-9 only, exactly what numeric mode holds.
  for (const [piece] of text.matchAll(/\d+|\D+/g)) {
    const isDigits = piece.charCodeAt(0) >= 0x30 && piece.charCodeAt(0) <= 0x39;
    if (isDigits && piece.length >= MIN_NUMERIC_RUN) {
      if (bytes) segments.push({ mode: "byte", data: Buffer.from(bytes, "utf8") });
      bytes = "";
      segments.push({ mode: "numeric", data: piece });
    } else {
      bytes += piece;
    }
  }
  if (bytes) segments.push({ mode: "byte", data: Buffer.from(bytes, "utf8") });
  return segments;
}

export interface QrPath {
  /** Modules on a side, without quiet zone. */
  count: number;
  /** PDF path operators (`x y w h re`) of the dark modules, one module = 1 unit, rows going down. */
  path: string;
}

/**
 * The dark modules of the symbol as rectangles, each a horizontal run of dark modules in a row,
 * to be filled as one path (so that renderers leave no hairline seams between modules).
 */
export function qrPath(text: string): QrPath {
  const { modules } = QRCode.create(qrSegments(text), {
    errorCorrectionLevel: "M",
    maskPattern: FIXED_MASK,
  });
  const count = modules.size;
  const data = modules.data;
  const rects: string[] = [];
  for (let row = 0; row < count; row++) {
    const offset = row * count;
    let col = 0;
    while (col < count) {
      if (!data[offset + col]) {
        col++;
        continue;
      }
      const start = col;
      while (col < count && data[offset + col]) col++;
      rects.push(`${start} ${row} ${col - start} 1 re`);
    }
  }
  return { count, path: rects.join("\n") };
}
