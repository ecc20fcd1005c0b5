export * from "./console";
export * from "./invoices";
export * from "./issuing";
export * from "./open-api";
export * from "./organizations";
export * from "./receipt-codes";
export * from "./stats";
