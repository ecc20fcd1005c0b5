import type { ComputedLine } from "../../domain";
import type { InvoiceDocumentLine } from "./documents.types";

/**
 * A line as the domain computed it (or as it was stored and read back into that shape), as the
 * renderers take it. Empty texts become absent; what a discount line may not print is left to the
 * renderers (invoice-text.ts), so that no caller can get it wrong.
 */
export function documentLineOf(line: ComputedLine): InvoiceDocumentLine {
  return {
    itemName: line.itemName,
    taxCode: line.taxCode,
    spec: line.spec || undefined,
    unit: line.unit || undefined,
    quantity: line.quantity ?? undefined,
    unitPrice: line.unitPrice ?? undefined,
    amount: line.amountExcludingTax,
    taxRateLabel: line.taxRateLabel,
    taxRate: line.taxRate,
    zeroRateKind: line.zeroRateKind ?? undefined,
    tax: line.tax,
    amountIncludingTax: line.amountIncludingTax,
    kind: line.kind,
  };
}
