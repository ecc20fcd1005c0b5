/**
 * 扫码识别抬头: reads a 抬头 QR (the national 便捷开票二维码, WeChat's title QR) from the camera or from
 * a photo, decoded in the browser by jsQR. A chunk of its own, imported when the button is tapped:
 * neither the decoder nor this sheet is part of the first load.
 */
import jsQR from "jsqr";
import { h } from "./dom";
import type { TitleChoice } from "./form";
import { parseTitleQr } from "./title-qr-parse";

/** Photos are scaled to this many pixels on their long side: enough for a QR, light on old phones. */
const MAX_SIDE = 1280;

function decodePixels(source: CanvasImageSource, width: number, height: number): string | null {
  const scale = Math.min(1, MAX_SIDE / Math.max(width, height));
  const w = Math.max(1, Math.round(width * scale));
  const hgt = Math.max(1, Math.round(height * scale));
  const canvas = document.createElement("canvas");
  canvas.width = w;
  canvas.height = hgt;
  const context = canvas.getContext("2d", { willReadFrequently: true });
  if (!context) return null;
  context.drawImage(source, 0, 0, w, hgt);
  const image = context.getImageData(0, 0, w, hgt);
  return jsQR(image.data, w, hgt, { inversionAttempts: "attemptBoth" })?.data ?? null;
}

async function decodeFile(file: File): Promise<string | null> {
  const url = URL.createObjectURL(file);
  try {
    const img = new Image();
    img.src = url;
    await img.decode();
    return decodePixels(img, img.naturalWidth, img.naturalHeight);
  } finally {
    URL.revokeObjectURL(url);
  }
}

const NOT_A_TITLE = "这不是发票抬头二维码，请换一个试试";

/** Opens the sheet; resolves the title read, or null when the consumer closes it. */
export function scanTitleQr(): Promise<TitleChoice | null> {
  return new Promise((resolve) => {
    let stream: MediaStream | null = null;
    let frame = 0;
    const message = h(
      "p",
      { class: "sheet-note", role: "status", "data-testid": "qr-message" },
      "将抬头二维码放入框内，或从相册选择图片",
    );
    const video = h("video", { class: "qr-video", muted: true, playsinline: true, hidden: true });
    const file = h("input", {
      type: "file",
      accept: "image/*",
      class: "qr-file",
      "data-testid": "qr-file",
      "aria-label": "选择二维码图片",
    });
    const pickButton = h("button", { type: "button", class: "button button--ghost" }, "从相册选择");
    const cancel = h(
      "button",
      { type: "button", class: "button button--ghost", "data-testid": "qr-cancel" },
      "取消",
    );
    const sheet = h(
      "div",
      {
        class: "sheet",
        role: "dialog",
        "aria-modal": "true",
        "aria-labelledby": "qr-title",
        "data-testid": "qr-sheet",
      },
      h("h2", { class: "sheet-title", id: "qr-title" }, "扫码识别抬头"),
      video,
      message,
      file,
      h("div", { class: "sheet-actions" }, cancel, pickButton),
    );
    const backdrop = h("div", { class: "sheet-backdrop" }, sheet);

    const close = (title: TitleChoice | null) => {
      cancelAnimationFrame(frame);
      for (const track of stream?.getTracks() ?? []) track.stop();
      backdrop.remove();
      document.body.classList.remove("has-sheet");
      resolve(title);
    };
    /** A decoded text: a title closes the sheet, anything else says so and scanning goes on. */
    const found = (text: string | null): boolean => {
      if (text === null) return false;
      const title = parseTitleQr(text);
      if (title) close(title);
      else message.textContent = NOT_A_TITLE;
      return title !== null;
    };

    cancel.addEventListener("click", () => close(null));
    backdrop.addEventListener("click", (e) => e.target === backdrop && close(null));
    pickButton.addEventListener("click", () => file.click());
    file.addEventListener("change", () => {
      const picked = file.files?.[0];
      if (!picked) return;
      file.dataset.used = "1";
      message.textContent = "正在识别…";
      decodeFile(picked)
        .then((text) => {
          if (text === null) message.textContent = "未在图片中找到二维码，请换一张清晰的照片";
          else found(text);
        })
        .catch(() => {
          message.textContent = "无法读取这张图片";
        })
        .finally(() => {
          file.value = "";
        });
    });

    document.body.appendChild(backdrop);
    document.body.classList.add("has-sheet");
    cancel.focus();

    // The camera, where the browser offers one; without it (or refused) the photo still works.
    const media = navigator.mediaDevices;
    if (!media?.getUserMedia) return;
    media
      .getUserMedia({ video: { facingMode: "environment" }, audio: false })
      .then(async (s) => {
        if (!backdrop.isConnected) {
          for (const track of s.getTracks()) track.stop();
          return;
        }
        stream = s;
        video.srcObject = s;
        video.hidden = false;
        await video.play();
        const tick = () => {
          if (!backdrop.isConnected) return;
          if (video.readyState >= 2 && found(decodePixels(video, video.videoWidth, video.videoHeight)))
            return;
          frame = requestAnimationFrame(tick);
        };
        frame = requestAnimationFrame(tick);
      })
      .catch(() => {
        // Unless a photo is already being read, say why there is no camera picture.
        if (!file.dataset.used) message.textContent = "无法使用摄像头，请从相册选择二维码图片";
      });
  });
}
