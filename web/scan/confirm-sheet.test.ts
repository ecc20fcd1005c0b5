import { describe, expect, it } from "vitest";
import { confirmRows } from "./confirm-sheet";
import { emptyForm } from "./form";

describe("the confirm sheet's rows", () => {
  const receipt = {
    totals: { amountExcludingTax: "754.72", taxAmount: "45.28", totalAmount: "800.00" },
    limit: { amount: "500.00", policy: "split" as const, invoiceCount: 2 },
  };
  it("says type, title, tax ID, where it goes, how much and how many invoices", () => {
    const state = {
      ...emptyForm({
        invoiceTypes: ["digital_normal", "digital_special"],
        defaultInvoiceType: "digital_special",
      }),
      name: " 杭州示例网络科技有限公司 ",
      taxId: "91440300358768292h",
      email: "A@Example.com",
      mobile: "",
    };
    expect(confirmRows(receipt, state)).toEqual([
      ["发票类型", "电子发票（增值税专用发票）"],
      ["抬头", "杭州示例网络科技有限公司（企业）"],
      ["税号", "91440300358768292H"],
      ["电子邮箱", "A@Example.com"],
      ["价税合计", "¥800.00"],
      ["发票张数", "2 张"],
    ]);
  });
  it("says when no tax ID is given, and one invoice when under the limit", () => {
    const state = {
      ...emptyForm({ invoiceTypes: ["digital_normal"], defaultInvoiceType: "digital_normal" }),
      buyerType: "individual" as const,
      name: "张三",
      mobile: "139 0013 9000",
    };
    const rows = confirmRows({ ...receipt, limit: { ...receipt.limit, invoiceCount: 1 } }, state);
    expect(rows).toContainEqual(["税号", "未填写"]);
    expect(rows).toContainEqual(["手机号码", "13900139000"]);
    expect(rows).toContainEqual(["发票张数", "1 张"]);
  });
});
