import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import QRCode from "qrcode";

/**
 * A fake camera for Chromium (`--use-fake-device-for-media-stream` with
 * `--use-file-for-fake-video-capture`): a Y4M video whose every frame shows a QR of `text`, black on
 * white in the middle of a 640×480 picture, as a phone held over a receipt sees it. Returns the
 * Chromium flags that make it the camera; the file lives in a temporary directory of its own.
 */
export function fakeCameraShowingQr(text: string): { args: string[]; file: string } {
  const width = 640;
  const height = 480;
  const qr = QRCode.create(text, { errorCorrectionLevel: "M" });
  const modules = qr.modules.size;
  const quiet = 4;
  const scale = Math.floor(Math.min(width, height) / (modules + 2 * quiet));
  const side = (modules + 2 * quiet) * scale;
  const left = Math.floor((width - side) / 2);
  const top = Math.floor((height - side) / 2);
  // Luma: white everywhere, black modules; chroma: neutral grey (4:2:0).
  const luma = Buffer.alloc(width * height, 235);
  for (let row = 0; row < modules; row++) {
    for (let col = 0; col < modules; col++) {
      if (!qr.modules.get(row, col)) continue;
      for (let y = 0; y < scale; y++) {
        const offset = (top + (row + quiet) * scale + y) * width + left + (col + quiet) * scale;
        luma.fill(16, offset, offset + scale);
      }
    }
  }
  const chroma = Buffer.alloc((width / 2) * (height / 2) * 2, 128);
  const frame = Buffer.concat([Buffer.from("FRAME\n"), luma, chroma]);
  const header = Buffer.from(`YUV4MPEG2 W${width} H${height} F15:1 Ip A1:1 C420jpeg\n`);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "piaoma-camera-"));
  const file = path.join(dir, "camera.y4m");
  fs.writeFileSync(file, Buffer.concat([header, frame, frame, frame]));
  return {
    file,
    args: ["--use-fake-device-for-media-stream", `--use-file-for-fake-video-capture=${file}`],
  };
}
