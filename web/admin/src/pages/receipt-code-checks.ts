import { validateRemark } from "../../../../src/domain/gbk";
import { computeInvoice } from "../../../../src/domain/invoice";
import { planInvoices } from "../../../../src/domain/limit";
import type {
  ComputedInvoice,
  ComputedLine,
  InvoiceInput,
  OverLimitPolicy,
} from "../../../../src/domain/types";

/** What the receipt-code form holds that the checks read (a subset of its values). */
export interface CheckedValues {
  serialNo?: string;
  invoiceTypes?: string[];
  defaultInvoiceType?: string;
  validDays?: number | null;
  drawer?: string;
  payee?: string;
  reviewer?: string;
  remark?: string;
}

/** The form's state as the rules see it while the operator types. */
export interface LiveCheck {
  /** The whole order computed, or null while any line has a problem. */
  computed: ComputedInvoice | null;
  /** Each row's computed line where it can be computed on its own (shown even while another row is wrong). */
  perRow: Array<ComputedLine | undefined>;
  /** Problems by field path ("serialNo", "lines[2].amount"), the server's wording. */
  fields: Record<string, string>;
  /** Problems of the whole order (the limit, the line count), for the totals bar. */
  order: string[];
}

const HIDDEN_ITEM_FIELD = /\.(name|shortName|taxCode)$/;

/**
 * The server's checks of a receipt code, in the browser as the operator types: the order through
 * the same rules engine (src/domain computeInvoice, planInvoices for the limit), the header fields
 * with the wording of the server's schema (receipt-codes.schema.ts). The server still checks
 * everything (and what only it knows: a 流水号 already used, a device or account that was removed).
 */
export function checkReceiptCodeForm(
  values: CheckedValues,
  lines: InvoiceInput["lines"],
  config: { limit: string; overLimitPolicy: string },
): LiveCheck {
  const fields: Record<string, string> = {};
  const add = (path: string, message: string) => {
    fields[path] ??= message;
  };
  const serialNo = (values.serialNo ?? "").trim();
  if (!serialNo) add("serialNo", "请填写小票流水号");
  else if (serialNo.length > 50) add("serialNo", "小票流水号不能超过 50 个字符");
  else if (!/^[\x21-\x7E]+$/.test(serialNo)) add("serialNo", "小票流水号只能包含字母、数字和符号");
  const types = values.invoiceTypes ?? [];
  if (types.length === 0) add("invoiceTypes", "至少选择一种可选票种");
  else if (!values.defaultInvoiceType || !types.includes(values.defaultInvoiceType))
    add("defaultInvoiceType", "默认发票种类必须是可选票种之一");
  if (values.validDays === null || values.validDays === undefined) add("validDays", "请填写有效期");
  const drawer = (values.drawer ?? "").trim();
  // Marked required on the form (filled with the configured default): blank is a problem here, even
  // where the server would fall back on the default.
  if (!drawer) add("drawer", "请填写开票人");
  for (const [key, label] of [
    ["drawer", "开票人"],
    ["payee", "收款人"],
    ["reviewer", "复核人"],
  ] as const) {
    if ((values[key] ?? "").trim().length > 20) add(key, `${label}不能超过 20 个字符`);
  }
  const remark = validateRemark(values.remark ?? "", "remark");
  if (!remark.ok) for (const issue of remark.issues) add(issue.path, issue.message);

  const order: string[] = [];
  const perRow: Array<ComputedLine | undefined> = [];
  let computed: ComputedInvoice | null = null;
  if (lines.length > 0) {
    const result = computeInvoice({ lines });
    if (result.ok) {
      computed = result.value;
      result.value.lines.forEach((l, i) => {
        perRow[i] = l;
      });
      const plan = planInvoices(result.value, {
        limit: config.limit,
        policy: config.overLimitPolicy as OverLimitPolicy,
      });
      if (!plan.ok) for (const issue of plan.issues) order.push(issue.message);
    } else {
      for (const issue of result.issues) {
        // The item's name, short name and tax code come from the picked 开票项: shown at the picker.
        const path = issue.path.replace(HIDDEN_ITEM_FIELD, ".itemCode");
        if (/^lines\[\d+\]\./.test(path)) add(path, issue.message);
        else order.push(issue.message);
      }
      // Every item row that computes alone keeps its amounts on screen.
      lines.forEach((line, i) => {
        if ((line as { kind?: string }).kind === "discount") return;
        const alone = computeInvoice({ lines: [line] });
        if (alone.ok) perRow[i] = alone.value.lines[0];
      });
    }
  }
  return { computed, perRow, fields, order: [...new Set(order)] };
}
