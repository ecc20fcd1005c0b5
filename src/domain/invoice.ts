/**
 * `computeInvoice`: from an order as callers send it to the printed lines and totals, or every
 * issue found. This is the one place where a blue invoice's money is computed.
 *
 * The invoice-level tax rule (DOMAIN.md §4, `checkTaxTolerance`) is not applied here: it concerns
 * the invoices that will be issued, and an order above the limit is split into parts that must each
 * keep it — the order as a whole need not. `planInvoices` applies it to what it plans.
 */
import { expandLineInputs, readDiscountRow } from "./discounts";
import { type DomainIssue, fail, issue, ok, type Result } from "./errors";
import { type ItemDraft, makeLine, readItemLine } from "./lines";
import { checkTotalSize, MAX_LINES, sumTotals } from "./totals";
import type { ComputedInvoice, ComputedLine, InvoiceInput } from "./types";

interface OpenItem {
  draft: ItemDraft | null;
  label: string;
  at: string;
  markedDiscounted: boolean;
  hasDiscount: boolean;
  /** Index of its printed line in the output, when it computed. */
  outIndex: number | null;
}

/**
 * Accepts the canonical row form and the `discount` shorthand, mixed (see discounts.ts).
 * `input` is typed for callers, but read defensively: a JSON body of the wrong shape yields issues.
 */
export function computeInvoice(input: InvoiceInput): Result<ComputedInvoice> {
  const issues: DomainIssue[] = [];
  const raw: unknown = input;
  if (typeof raw !== "object" || raw === null)
    return fail([issue("FIELD_TYPE_INVALID", "", "订单格式不正确")]);
  const record = raw as Record<string, unknown>;
  let priceIncludesTax = true;
  if (record.priceIncludesTax !== undefined && record.priceIncludesTax !== null) {
    if (typeof record.priceIncludesTax === "boolean") priceIncludesTax = record.priceIncludesTax;
    else issues.push(issue("FIELD_TYPE_INVALID", "priceIncludesTax", "priceIncludesTax 应为 true 或 false"));
  }
  const lines = record.lines;
  if (!Array.isArray(lines) || lines.length === 0) {
    return fail([...issues, issue("LINES_REQUIRED", "lines", "至少需要一行商品或服务")]);
  }

  const rows = expandLineInputs(lines, issues);
  if (rows.length > MAX_LINES) {
    issues.push(
      issue("LINES_TOO_MANY", "lines", `一张发票最多 ${MAX_LINES} 行（含折扣行），当前 ${rows.length} 行`, {
        count: String(rows.length),
        max: String(MAX_LINES),
      }),
    );
  }

  const out: ComputedLine[] = [];
  let open: OpenItem | null = null;
  let previousKind: "item" | "discount" | null = null;
  const close = () => {
    if (open?.markedDiscounted && !open.hasDiscount) {
      issues.push(issue("DISCOUNT_MISSING", open.at, `${open.label}标为被折扣行，但其后没有折扣行`));
    }
  };

  for (const row of rows) {
    if (row.kind === "item") {
      close();
      const draft = readItemLine(row.input, row.origin, priceIncludesTax, issues);
      let outIndex: number | null = null;
      if (draft) {
        out.push(makeLine(draft.id, "normal", draft.quantity, draft.amounts));
        outIndex = out.length - 1;
      }
      open = {
        draft,
        label: row.origin.label,
        at: row.origin.at,
        markedDiscounted: row.markedDiscounted,
        hasDiscount: false,
        outIndex,
      };
    } else if (previousKind === "item" && open) {
      open.hasDiscount = true;
      const amounts = readDiscountRow(
        row.input,
        row.origin,
        open.draft,
        open.label,
        priceIncludesTax,
        issues,
      );
      const target = open.outIndex === null ? undefined : out[open.outIndex];
      if (amounts && open.draft && target) {
        target.kind = "discounted";
        out.push(makeLine(open.draft.id, "discount", null, amounts));
      }
    } else {
      const [code, why] =
        previousKind === null
          ? (["DISCOUNT_WITHOUT_LINE", "折扣行须紧跟在被折扣的商品行之后"] as const)
          : (["DISCOUNT_DUPLICATE", "每个商品行只能有一个折扣行，一个折扣行也不能折扣多行"] as const);
      issues.push(issue(code, row.origin.at, `${row.origin.label}${why}`));
      readDiscountRow(row.input, row.origin, null, "", priceIncludesTax, issues);
    }
    previousKind = row.kind;
  }
  close();
  if (issues.length) return fail(issues);

  const totals = sumTotals(out);
  const tooLarge = checkTotalSize(totals);
  if (tooLarge.length) return fail(tooLarge);
  return ok({ priceIncludesTax, lines: out, totals });
}
