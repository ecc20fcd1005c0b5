/**
 * 申请重开 (换开) on the re-scan page: a consumer whose invoice has a wrong title, tax ID or type
 * asks for it to be issued again to the corrected buyer; the merchant approves or refuses, and the
 * page (like the e-mail or SMS) says which. The corrected buyer is checked by the same rules as the
 * submit, here first and again on the server.
 */
import { validateBuyer } from "../../src/domain/buyer";
import type { ApiError, Correction, IssuedInvoice, Receipt, ScanApi } from "./api";
import { h } from "./dom";
import { INVOICE_TYPE_LABELS } from "./format";

const REASONS: Array<[string, string]> = [
  ["title", "抬头错误"],
  ["tax_id", "税号错误"],
  ["invoice_type", "票种错误"],
  ["other", "其他"],
];

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
  // Only an issued blue invoice not already replaced can be corrected.
  const replaced = new Set<string>();
  const correctable = invoices.filter(
    (i) => i.color === "blue" && i.status === "issued" && !replaced.has(i.id),
  );
  const reason = h(
    "select",
    { class: "input", id: "correction-reason", "data-testid": "correction-reason" },
    REASONS.map(([value, label]) => h("option", { value }, label)),
  );
  const buyerType = h(
    "select",
    { class: "input", id: "correction-buyer-type", "data-testid": "correction-buyer-type" },
    h("option", { value: "enterprise" }, "企业"),
    h("option", { value: "individual" }, "个人"),
  );
  const invoiceType = h(
    "select",
    { class: "input", id: "correction-invoice-type", "data-testid": "correction-invoice-type" },
    receipt.invoiceTypes.map((t) => h("option", { value: t }, INVOICE_TYPE_LABELS[t] ?? t)),
  );
  const name = h("input", {
    class: "input",
    id: "correction-name",
    maxLength: 100,
    "data-testid": "correction-name",
    placeholder: "正确的发票抬头",
  });
  const taxId = h("input", {
    class: "input",
    id: "correction-tax-id",
    maxLength: 20,
    "data-testid": "correction-tax-id",
    placeholder: "企业必填",
  });
  const field = (label: string, id: string, control: HTMLElement) =>
    h(
      "div",
      { class: "field" },
      h("label", { class: "field-label", for: id }, label),
      h("div", { class: "field-control" }, control),
    );
  const button = h(
    "button",
    { type: "submit", class: "button button--primary", "data-testid": "correction-submit" },
    "提交重开申请",
  );
  const form = h(
    "form",
    { class: "resend", novalidate: true, hidden: true },
    field("重开原因", "correction-reason", reason),
    field("票种", "correction-invoice-type", invoiceType),
    field("抬头类型", "correction-buyer-type", buyerType),
    field("发票抬头", "correction-name", name),
    field("税号", "correction-tax-id", taxId),
    button,
  );
  const open = h(
    "button",
    { type: "button", class: "button button--ghost", "data-testid": "correction-open" },
    "申请重开",
  );
  open.addEventListener("click", () => {
    form.hidden = false;
    open.hidden = true;
    name.focus();
  });
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const body = {
      reason: reason.value as "title",
      invoiceType: invoiceType.value,
      buyer: { type: buyerType.value, name: name.value.trim(), taxId: taxId.value.trim() || undefined },
    };
    // The submit's rules, here first (contacts stay as the invoice's: checked on the server).
    const checked = validateBuyer({ ...body, email: "x@example.com" } as never);
    if (!checked.ok) return setStatus(checked.issues.map((i) => i.message).join("；"), "error");
    button.disabled = true;
    try {
      const done = await api.applyCorrection(body);
      form.hidden = true;
      setStatus(outcomeText(done), "ok");
      if (done.status === "approved") setTimeout(() => location.reload(), 1500);
    } catch (error) {
      setStatus((error as ApiError).message || "提交失败，请稍后重试", "error");
    } finally {
      button.disabled = false;
    }
  });
  const card = h(
    "section",
    { class: "card", id: "correction", "data-testid": "correction" },
    h("h2", { class: "card-title" }, "申请重开", h("small", null, "抬头、税号或票种填错了")),
    status,
    correctable.length > 0 ? [open, form] : null,
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
