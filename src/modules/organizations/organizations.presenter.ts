import type { OrganizationRow } from "./organizations.repository";
import type { PartyView } from "./organizations.schema";

/** The organization as the seller (销售方) of its invoices: the one view of that block. */
export function sellerOf(
  org: Pick<OrganizationRow, "name" | "taxId" | "address" | "phone" | "bankName" | "bankAccount">,
): PartyView {
  return {
    name: org.name,
    taxId: org.taxId,
    address: org.address,
    phone: org.phone,
    bankName: org.bankName,
    bankAccount: org.bankAccount,
  };
}
