/**
 * What a re-scan may show of the buyer (PRODUCT.md §3): whoever holds the receipt sees that an
 * invoice went to "z***@example.com", not the address itself.
 */
export function maskEmail(email: string | null | undefined): string | null {
  if (!email) return null;
  const at = email.lastIndexOf("@");
  if (at <= 0) return "***";
  const local = email.slice(0, at);
  return `${local[0]}***${local.length > 1 ? local.at(-1) : ""}${email.slice(at)}`;
}

export function maskMobile(mobile: string | null | undefined): string | null {
  if (!mobile) return null;
  return mobile.length >= 7 ? `${mobile.slice(0, 3)}****${mobile.slice(-4)}` : "****";
}

/** Tax IDs and ID-card numbers: the first 4 and last 4 characters. */
export function maskTaxId(taxId: string | null | undefined): string {
  if (!taxId) return "";
  return taxId.length > 8 ? `${taxId.slice(0, 4)}${"*".repeat(taxId.length - 8)}${taxId.slice(-4)}` : "****";
}
