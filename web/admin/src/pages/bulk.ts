import type { MessageInstance } from "antd/es/message/interface";
import type { BulkOutcome } from "../api-types";

/** What a bulk action did, said once: how many were done, and which were left and why. */
export function bulkOutcomeMessage(message: MessageInstance, outcome: BulkOutcome, done: string): void {
  const left = outcome.skipped;
  if (left.length === 0) {
    message.success(`${done} ${outcome.done.length} 项`);
    return;
  }
  const named = left
    .slice(0, 3)
    .map((s) => `${s.label}（${s.reason}）`)
    .join("、");
  const more = left.length > 3 ? ` 等 ${left.length} 项` : "";
  (outcome.done.length > 0 ? message.warning : message.error)(
    `${done} ${outcome.done.length} 项；未处理 ${left.length} 项：${named}${more}`,
    6,
  );
}

/** A file made by a POST (a PDF, a zip, an export): PDFs open in a new tab, the rest are saved. */
export function openBlob(blob: Blob, fileName: string): void {
  const url = URL.createObjectURL(blob);
  const a = document.createElement("a");
  a.href = url;
  if (blob.type === "application/pdf") a.target = "_blank";
  else a.download = fileName;
  a.rel = "noopener";
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}
