/**
 * A sheet that reads a QR from the camera or from a photo, decoded in the browser by jsQR: 扫码识别抬头
 * (title-qr.ts) and 合并开票's 扫一扫 (merge-qr.ts). Only those chunks import it, each when its button
 * is tapped: neither the decoder nor this sheet is part of the first load.
 */
import jsQR from "jsqr";
import { h } from "./dom";

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

export interface QrSheetOptions<T> {
  /** The sheet's heading. */
  title: string;
  /** What it asks for, until something is read. */
  hint: string;
  /** A decoded text → what the sheet resolves with, or the message saying why it is not what is wanted. */
  read(text: string): { value: T } | { message: string };
  /** Said when the camera cannot be used (none, or an error) and no photo is being read. */
  noCamera: string;
  /** Said when the consumer refused the camera; defaults to `noCamera`. */
  refused?: string;
  /** A button offered when the camera is refused or missing: the sheet then resolves "instead". */
  instead?: string;
}

/** Opens the sheet; resolves what was read, "instead" for the offered other way, or null when closed. */
export function openQrSheet<T>(options: QrSheetOptions<T>): Promise<{ value: T } | "instead" | null> {
  return new Promise((resolve) => {
    let stream: MediaStream | null = null;
    let frame = 0;
    const message = h(
      "p",
      { class: "sheet-note", role: "status", "data-testid": "qr-message" },
      options.hint,
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
    const instead = options.instead
      ? h(
          "button",
          {
            type: "button",
            class: "button button--primary button--block qr-instead",
            "data-testid": "qr-instead",
            hidden: true,
          },
          options.instead,
        )
      : null;
    const sheet = h(
      "div",
      {
        class: "sheet",
        role: "dialog",
        "aria-modal": "true",
        "aria-labelledby": "qr-title",
        "data-testid": "qr-sheet",
      },
      h("h2", { class: "sheet-title", id: "qr-title" }, options.title),
      video,
      message,
      file,
      instead,
      h("div", { class: "sheet-actions" }, cancel, pickButton),
    );
    const backdrop = h("div", { class: "sheet-backdrop" }, sheet);

    const close = (result: { value: T } | "instead" | null) => {
      cancelAnimationFrame(frame);
      for (const track of stream?.getTracks() ?? []) track.stop();
      backdrop.remove();
      document.body.classList.remove("has-sheet");
      resolve(result);
    };
    /** A decoded text: what is wanted closes the sheet, anything else says why and scanning goes on. */
    const found = (text: string | null): boolean => {
      if (text === null) return false;
      const read = options.read(text);
      if ("value" in read) close(read);
      else message.textContent = read.message;
      return "value" in read;
    };

    cancel.addEventListener("click", () => close(null));
    instead?.addEventListener("click", () => close("instead"));
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

    const withoutCamera = (refused: boolean) => {
      if (instead) instead.hidden = false;
      // Unless a photo is already being read, say why there is no camera picture.
      if (!file.dataset.used)
        message.textContent = refused ? (options.refused ?? options.noCamera) : options.noCamera;
    };
    // The camera, where the browser offers one; without it (or refused) the photo still works.
    const media = navigator.mediaDevices;
    if (!media?.getUserMedia) {
      withoutCamera(false);
      return;
    }
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
      .catch((e: unknown) => {
        withoutCamera(
          e instanceof DOMException && (e.name === "NotAllowedError" || e.name === "SecurityError"),
        );
      });
  });
}
