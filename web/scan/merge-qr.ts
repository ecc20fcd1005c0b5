/**
 * 合并开票's 扫一扫: reads another receipt's QR from the camera (or a photo) and gives its link, to be
 * added as if pasted. A chunk of its own, imported when the button is tapped: neither the decoder
 * (qr-sheet.ts) nor this sheet is part of the first load.
 */
import { openQrSheet } from "./qr-sheet";
import { readReceiptQr } from "./receipt-qr-parse";

/** Opens the sheet; resolves the link read, "type" when the consumer chose to type the 开票码 instead, or null. */
export async function scanReceiptQr(): Promise<string | "type" | null> {
  const result = await openQrSheet<string>({
    title: "扫码添加小票",
    hint: "将其他小票的二维码放入框内，或从相册选择图片",
    read: (text) => readReceiptQr(text, location.host),
    noCamera: "无法使用摄像头，可从相册选择小票二维码图片，或输入开票码",
    refused: "未获得摄像头权限，可从相册选择小票二维码图片，或输入开票码",
    instead: "输入开票码",
  });
  if (result === "instead") return "type";
  return result?.value ?? null;
}
