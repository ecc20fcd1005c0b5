export * from "./invoices";
export * from "./organizations";
export * from "./receipt-codes";
