/**
 * 申请重开 (换开) on the re-scan page: a consumer whose invoice has a wrong title, tax ID or type
 * asks for it to be issued again to the corrected buyer (correction-form.ts, loaded on 申请重开);
 * the merchant approves or refuses, and the page (like the e-mail or SMS) says which, with the
 * reason of a refusal. Every receipt of a merged submission shows the purchase's requests.
 */
import type { Correction, IssuedInvoice, Receipt, ScanApi } from "./api";
import { h } from "./dom";

function outcomeText(c: Correction): string {
  if (c.status === "pending")
    return `重开申请（${c.reasonLabel}，新抬头：${c.buyer.name}）已提交，等待商家处理。`;
  if (c.status === "approved")
    return `商家已同意重开：原发票已红冲，新发票（抬头：${c.buyer.name}）已开具或正在开具，将发送给您。`;
  return `商家未同意重开申请${c.refusalReason ? `：${c.refusalReason}` : ""}。原发票仍然有效。`;
}

export function correctionCard(receipt: Receipt, invoices: IssuedInvoice[], api: ScanApi) {
  const status = h("p", {
    class: "resend-status",
    role: "status",
    "aria-live": "polite",
    "data-testid": "correction-status",
  });
  const setStatus = (text: string, tone: "" | "ok" | "error") => {
    status.textContent = text;
    status.className = `resend-status${tone ? ` resend-status--${tone}` : ""}`;
  };
  // An issued blue invoice can be corrected (the server also leaves out one already re-issued).
  const correctable = invoices.filter((i) => i.color === "blue" && i.status === "issued");
  const open = h(
    "button",
    { type: "button", class: "button button--ghost", "data-testid": "correction-open" },
    "申请重开",
  );
  open.addEventListener("click", () => {
    open.disabled = true;
    import("./correction-form")
      .then(({ correctionForm }) => {
        const { form, focus } = correctionForm(receipt, correctable, api, setStatus, (done) => {
          setStatus(outcomeText(done), "ok");
          if (done.status === "approved") setTimeout(() => location.reload(), 1500);
        });
        open.replaceWith(form);
        focus();
      })
      .catch(() => {
        open.disabled = false;
        setStatus("加载失败，请检查网络后重试", "error");
      });
  });
  const card = h(
    "section",
    { class: "card", id: "correction", "data-testid": "correction" },
    h("h2", { class: "card-title" }, "申请重开", h("small", null, "抬头、税号或票种填错了")),
    status,
    correctable.length > 0 ? open : null,
  );
  void api
    .corrections()
    .then((list) => {
      const latest = list[0];
      if (latest) setStatus(outcomeText(latest), latest.status === "refused" ? "error" : "ok");
      if (latest?.status === "pending") open.hidden = true;
    })
    .catch(() => undefined);
  return card;
}
