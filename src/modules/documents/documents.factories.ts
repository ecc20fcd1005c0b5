import { invoiceQrText, sumAmounts } from "../../domain";
import type { InvoiceDocument, InvoiceDocumentLine, ReceiptSlip } from "./documents.types";

/**
 * Test and demo data for the renderers: plausible, already formatted documents with overrides.
 * Amounts are written out by hand (the money rules live in src/domain); a line's 价税合计 is its
 * 金额 plus 税额 unless given, and the QR texts are the domain's, so they verify.
 */

export function invoiceLine(overrides: Partial<InvoiceDocumentLine> = {}): InvoiceDocumentLine {
  const line = {
    itemName: "*餐饮服务*午餐",
    taxCode: "3070401000000000000",
    unit: "份",
    quantity: "2",
    unitPrice: "44.2477876106195",
    amount: "88.50",
    taxRateLabel: "13%",
    taxRate: "0.13",
    tax: "11.50",
    kind: "normal" as const,
    ...overrides,
  };
  return { ...line, amountIncludingTax: line.amountIncludingTax ?? sumAmounts([line.amount, line.tax]) };
}

export function invoiceDocument(overrides: Partial<InvoiceDocument> = {}): InvoiceDocument {
  return {
    mode: "issued",
    color: "blue",
    invoiceType: "digital_normal",
    number: "24442000000000012345",
    issuedAt: new Date("2024-03-05T16:30:00Z"),
    seller: {
      name: "深圳市票码餐饮管理有限公司",
      taxId: "91440300358768292H",
      address: "深圳市南山区科技园南区一路8号",
      phone: "0755-86001234",
      bankName: "招商银行深圳科技园支行",
      bankAccount: "755912345610801",
    },
    buyer: { name: "北京示例科技有限公司", taxId: "91110000600037341L" },
    lines: [invoiceLine()],
    totals: {
      amountExcludingTax: "88.50",
      taxAmount: "11.50",
      totalAmount: "100.00",
      totalInCapitals: "壹佰圆整",
    },
    remark: "小票流水号：POS-0001-20240306",
    drawer: "王小明",
    qrText: invoiceQrText({
      invoiceType: "digital_normal",
      number: "24442000000000012345",
      totalAmount: "100.00",
      issuedAt: new Date("2024-03-05T16:30:00Z"),
    }),
    sandbox: true,
    ...overrides,
  };
}

/**
 * A red invoice reversing the default blue one in full: same lines, negative amounts, the blue
 * number and its 红字发票信息确认单 number.
 */
export function redInvoiceDocument(overrides: Partial<InvoiceDocument> = {}): InvoiceDocument {
  return invoiceDocument({
    color: "red",
    number: "24442000000000012399",
    issuedAt: new Date("2024-03-08T02:10:00Z"),
    lines: [invoiceLine({ quantity: "-2", amount: "-88.50", tax: "-11.50" })],
    totals: {
      amountExcludingTax: "-88.50",
      taxAmount: "-11.50",
      totalAmount: "-100.00",
      totalInCapitals: "（负数）壹佰圆整",
    },
    qrText: invoiceQrText({
      invoiceType: "digital_normal",
      number: "24442000000000012399",
      totalAmount: "-100.00",
      issuedAt: new Date("2024-03-08T02:10:00Z"),
    }),
    reverses: {
      number: "24442000000000012345",
      confirmationNumber: "44030024030800000017",
      reason: "销货退回",
    },
    remark: undefined,
    ...overrides,
  });
}

export function receiptSlip(overrides: Partial<ReceiptSlip> = {}): ReceiptSlip {
  return {
    sellerName: "深圳市票码餐饮管理有限公司（科技园店）",
    serialNo: "POS-0001-20240306-0042",
    createdAt: new Date("2024-03-06T04:12:30Z"),
    lines: [
      { name: "宫保鸡丁套餐", quantity: "1", amount: "38.00" },
      { name: "鲜榨橙汁（大杯）", quantity: "2", amount: "36.00" },
      { name: "米饭", quantity: "2", amount: "6.00" },
    ],
    totalAmount: "80.00",
    url: "https://piaoma.example.com/s/Q2x8vT4nB7mK1pR9wZ3yL6cD",
    shortCode: "K7M3QX",
    expiresAt: new Date("2024-04-05T15:59:59Z"),
    footer: "发票将发送至您填写的邮箱或手机，如有疑问请联系收银台。",
    ...overrides,
  };
}
