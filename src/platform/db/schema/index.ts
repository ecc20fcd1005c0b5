export * from "./console";
export * from "./invoices";
export * from "./organizations";
export * from "./receipt-codes";
export * from "./issuing";
