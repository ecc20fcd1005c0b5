/**
 * 扫码识别抬头: reads a 抬头 QR (the national 便捷开票二维码, WeChat's title QR) from the camera or from
 * a photo. A chunk of its own, imported when the button is tapped: neither the decoder (qr-sheet.ts)
 * nor this sheet is part of the first load.
 */
import type { TitleChoice } from "./form";
import { openQrSheet } from "./qr-sheet";
import { parseTitleQr } from "./title-qr-parse";

const NOT_A_TITLE = "这不是发票抬头二维码，请换一个试试";

/** Opens the sheet; resolves the title read, or null when the consumer closes it. */
export async function scanTitleQr(): Promise<TitleChoice | null> {
  const result = await openQrSheet<TitleChoice>({
    title: "扫码识别抬头",
    hint: "将抬头二维码放入框内，或从相册选择图片",
    read: (text) => {
      const title = parseTitleQr(text);
      return title ? { value: title } : { message: NOT_A_TITLE };
    },
    noCamera: "无法使用摄像头，请从相册选择二维码图片",
  });
  return result && result !== "instead" ? result.value : null;
}
