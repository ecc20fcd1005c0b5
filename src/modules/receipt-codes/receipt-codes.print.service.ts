import type { Actor, AppContext } from "../../context";
import { amountInCapitals, trimDecimal } from "../../domain";
import { AppError } from "../../platform/errors";
import { consumerUrl } from "../../platform/web";
import { recordAudit } from "../audit/audit.service";
import { requireOrg } from "../auth/access";
import {
  documentLineOf,
  type InvoiceDocument,
  type ReceiptSlip,
  type ReceiptSlipFormat,
  renderInvoicePdf,
  renderReceiptSlipPdf,
} from "../documents";
import { sellerOf } from "../organizations/organizations.presenter";
import { getOrganizationByIdOrTaxId } from "../organizations/organizations.service";
import { isTaxAccountOfOrganization } from "../tax-accounts/tax-accounts.service";
import { effectiveStatus } from "./receipt-code-status";
import { findReceiptCodeOfOrg } from "./receipt-codes.console.repository";
import { checkConsoleInput } from "./receipt-codes.console.service";
import {
  findReceiptCodeLines,
  type ReceiptCodeLineRow,
  type ReceiptCodeRow,
} from "./receipt-codes.repository";
import { prepareReceiptCode } from "./receipt-codes.service";

/**
 * 预览打印: the invoice as it would be issued for the form as it stands, drawn by the one invoice
 * renderer in preview mode (marked 预览, no number, no QR). The buyer is not known yet: the consumer
 * fills it in after scanning.
 */
export async function previewReceiptCodePdf(
  ctx: Pick<AppContext, "database" | "config">,
  options: { actor: Actor; orgId: string; input: unknown; now?: Date },
): Promise<Buffer> {
  const actor = requireOrg(options.actor, options.orgId, "operate");
  // Every problem of the form in one answer, as 保存 gives them (a used 流水号 does not matter here).
  const { codeInput: input } = await checkConsoleInput(ctx, actor, options.orgId, options.input, false);
  const prepared = await prepareReceiptCode(ctx, { actor, orgId: options.orgId, source: "manual", input });
  const org = await getOrganizationByIdOrTaxId(ctx, options.orgId);
  const account = prepared.fields.taxAccountId
    ? await isTaxAccountOfOrganization(ctx, options.orgId, prepared.fields.taxAccountId)
    : undefined;
  const { computed, fields } = prepared;
  const doc: InvoiceDocument = {
    mode: "preview",
    color: "blue",
    invoiceType: fields.defaultInvoiceType as InvoiceDocument["invoiceType"],
    issuedAt: options.now ?? new Date(),
    seller: sellerOf(org),
    buyer: { name: "（购买方由消费者扫码填写）" },
    lines: computed.lines.map(documentLineOf),
    totals: { ...computed.totals, totalInCapitals: amountInCapitals(computed.totals.totalAmount) },
    remark: fields.remark ?? "",
    drawer: fields.drawer,
    payee: fields.payee ?? "",
    reviewer: fields.reviewer ?? "",
    sandbox: (account?.channel ?? "sandbox") === "sandbox",
  };
  return renderInvoicePdf(doc);
}

/** What a code's slip shows: the seller, its lines as first pushed, the QR of its consumer page. */
export function slipOf(
  ctx: Pick<AppContext, "config">,
  sellerName: string,
  code: ReceiptCodeRow,
  lines: readonly ReceiptCodeLineRow[],
): ReceiptSlip {
  return {
    sellerName,
    serialNo: code.serialNo,
    createdAt: code.orderTime ?? code.createdAt,
    lines: lines.map((l) => ({
      name: l.kind === "discount" ? "  折扣" : l.name,
      quantity: trimDecimal(l.quantity) ?? undefined,
      amount: l.amountIncludingTax,
    })),
    totalAmount: code.totalAmount,
    url: consumerUrl(ctx, code.token),
    shortCode: code.shortCode,
    expiresAt: code.expiresAt,
    footer: code.receiptFooter,
  };
}

/**
 * 打印: the receipt slip with the QR of the consumer page, for 58 mm / 80 mm thermal rolls or A4.
 * Every print is in the audit log. A disabled code is not printed: its QR would lead nowhere.
 */
export async function printReceiptSlip(
  ctx: Pick<AppContext, "database" | "config">,
  options: { actor: Actor; orgId: string; id: string; format: ReceiptSlipFormat },
): Promise<{ pdf: Buffer; serialNo: string }> {
  const actor = requireOrg(options.actor, options.orgId, "operate");
  const { db } = ctx.database;
  const found = await findReceiptCodeOfOrg(db, options.orgId, options.id);
  if (!found) throw new AppError("NOT_FOUND", "小票码不存在");
  const { code } = found;
  if (effectiveStatus(code) === "disabled") throw new AppError("CONFLICT", "已禁用的小票码不能打印");
  const org = await getOrganizationByIdOrTaxId(ctx, options.orgId);
  const lines = await findReceiptCodeLines(db, code.id);
  const pdf = await renderReceiptSlipPdf(slipOf(ctx, org.name, code, lines), options.format);
  await recordAudit(db, {
    actor,
    orgId: options.orgId,
    action: "receipt_code.print",
    entityType: "receipt_code",
    entityId: code.id,
    details: { serialNo: code.serialNo, format: options.format },
  });
  return { pdf, serialNo: code.serialNo };
}
