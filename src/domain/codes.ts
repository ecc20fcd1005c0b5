/**
 * Codes other systems use for our enums (DOMAIN.md §10), for channel adapters. Codes are strings,
 * as they travel in JSON and XML.
 */
import type { ZeroRateKind } from "./tax-rate";
import type { InvoiceType, LineKind } from "./types";

export const INVOICE_TYPE_CODES: Record<
  InvoiceType,
  { leqi: string; taxBureau: string; qr: string; erpFplxdm: string; nuonuo: string; name: string }
> = {
  digital_special: {
    leqi: "01",
    taxBureau: "81",
    qr: "31",
    erpFplxdm: "032",
    nuonuo: "bs",
    name: "电子发票（增值税专用发票）",
  },
  digital_normal: {
    leqi: "02",
    taxBureau: "82",
    qr: "32",
    erpFplxdm: "030",
    nuonuo: "pc",
    name: "电子发票（普通发票）",
  },
};

/** 0 normal, 1 discount, 2 discounted. */
export const LINE_KIND_CODES: Record<LineKind, string> = { normal: "0", discount: "1", discounted: "2" };

/** Legacy `lslbs`: 0 export, 1 exempt, 2 not taxable, 3 ordinary zero. */
export const ZERO_RATE_KIND_CODES: Record<ZeroRateKind, string> = {
  export: "0",
  exempt: "1",
  not_taxable: "2",
  ordinary_zero: "3",
};

export const BUYER_TYPE_NAMES = {
  individual: "个人",
  enterprise: "企业",
  non_enterprise: "非企业单位",
} as const;
