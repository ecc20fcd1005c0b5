import { describe, expect, it } from "vitest";
import { computed, item } from "../../../../domain/test-support";
import {
  isKingdeeFileUrl,
  isKingdeeSerialNo,
  kingdeeRequestFrom,
  kingdeeSerialNo,
  localProblem,
  openInvoiceData,
  redInvoiceData,
} from "./invoice-data";
import { writeJson } from "./json";
import { kingdeeInvoice } from "./kingdee.fixtures";

describe("kingdee invoice data", () => {
  it("writes amounts from our decimal text as JSON numbers, exactly", () => {
    const text = writeJson(openInvoiceData(kingdeeInvoice("PM01A")));
    // 咨询 0.10 含税 at 13 %: 0.09 + 0.01; the discounted 午餐 and its discount line; totals as numbers.
    expect(text).toContain('"amount":0.09,"taxRate":"0.13","taxAmount":0.01');
    expect(text).toContain('"quantity":2,"price":50,"amount":100.00,"taxRate":"0.06","taxAmount":6.00');
    expect(text).toContain(
      '"lineProperty":"1","goodsName":"午餐","revenueCode":"3070401000000000000","amount":-5.66',
    );
    expect(text).toContain('"totalAmount":120.10,"invoiceDetail"');
    expect(text).not.toMatch(/"(amount|taxAmount|totalAmount)":"/);
  });

  it("maps the natural-person flag, zero-rate kinds and the special-invoice type", () => {
    const lines = computed([
      item({ taxRate: "0", zeroRateKind: "not_taxable", amount: "1.00" }),
      item({ taxRate: "0", zeroRateKind: "ordinary_zero", amount: "1.00" }),
      item({ taxRate: "0", zeroRateKind: "export", amount: "1.00" }),
    ]);
    const base = kingdeeInvoice("PM01B");
    const data = openInvoiceData({
      ...base,
      invoiceType: "digital_special",
      lines: lines.lines,
      totals: lines.totals,
      buyer: { type: "individual", name: "张先生", taxId: "", naturalPerson: true },
      remark: null,
      payee: null,
    }) as Record<string, unknown>;
    expect(data).toMatchObject({ invoiceType: "01", naturalPersonFlag: "Y", buyerName: "张先生" });
    expect(data.buyerTaxpayerId).toBeUndefined();
    expect(data.remark).toBeUndefined();
    expect(data.payee).toBeUndefined();
    const details = data.invoiceDetail as Array<Record<string, unknown>>;
    expect(details.map((d) => [d.taxRate, d.privilegeType])).toEqual([
      ["0", "04"],
      ["0", undefined],
      ["0", undefined],
    ]);
  });

  it("rounds a 13-decimal unit price to Kingdee's 8", () => {
    const lines = computed([
      item({ quantity: "7", unitPrice: "1.4285714285714", amount: "10.00", taxRate: "0.13" }),
    ]);
    const data = openInvoiceData({ ...kingdeeInvoice("PM01C"), lines: lines.lines, totals: lines.totals });
    expect(writeJson(data)).toContain('"quantity":7,"price":1.26428571,"amount":8.85');
  });

  it("the serial is the Kingdee serialNo; what Kingdee could not take is refused before any call", () => {
    expect(kingdeeSerialNo("PM01JNKD0000000000000000A1")).toBe("PM01JNKD0000000000000000A1");
    expect(() => kingdeeSerialNo("x".repeat(51))).toThrow();
    expect(isKingdeeSerialNo("PM 01")).toBe(false);
    expect(localProblem(kingdeeInvoice("PM01D", { drawer: "" }))).toBe("请填写开票人");
    expect(localProblem(kingdeeInvoice("PM01D", { lines: [] }))).toBe("发票没有明细行");
    expect(localProblem(kingdeeInvoice("PM01D"))).toBeNull();
  });

  it("red: the whole blue invoice by number, with the bureau's reason code", () => {
    const red = {
      channelOrderNo: "PM01R",
      invoiceType: "digital_normal" as const,
      sellerTaxId: "9131",
      blueNumber: "26447000000000000001",
    };
    expect(redInvoiceData({ ...red, reason: "销售折让" })).toEqual({
      serialNo: "PM01R",
      invoiceNum: "26447000000000000001",
      redReason: "04",
      invoiceType: "02",
      sellerTaxpayerId: "9131",
    });
    expect((redInvoiceData({ ...red, reason: "其他" }) as Record<string, unknown>).redReason).toBe("01");
  });
});

describe("kingdee request from the current contract", () => {
  it("keeps the invoice and adds the channel order number and the parties' details", () => {
    const full = kingdeeInvoice("PM01K");
    const current = {
      serial: "PM01K",
      invoiceType: full.invoiceType,
      color: "blue" as const,
      seller: { name: full.seller.name, taxId: full.seller.taxId },
      buyer: { type: "enterprise", name: full.buyer.name, taxId: full.buyer.taxId, naturalPerson: false },
      lines: full.lines,
      totals: full.totals,
      settings: { secret: "not passed on" },
    };
    const request = kingdeeRequestFrom(current, {
      channelOrderNo: "PM01K",
      drawer: "张三",
      buyer: { address: "杭州市西湖区文三路2号", bankAccount: "1202000000000000001" },
    });
    expect(request).toMatchObject({
      channelOrderNo: "PM01K",
      drawer: "张三",
      remark: null,
      lines: full.lines,
    });
    expect(request.buyer).toMatchObject({
      name: full.buyer.name,
      address: "杭州市西湖区文三路2号",
      bankAccount: "1202000000000000001",
    });
    expect(JSON.stringify(request)).not.toContain("not passed on");
    expect(openInvoiceData(request)).toMatchObject({
      buyerAddress: "杭州市西湖区文三路2号",
      sellerAddress: undefined,
    });
  });

  it("fetches files only from the tenant's host or Kingdee's domains", () => {
    const settings = { baseUrl: "https://baode.kdcloud.com" };
    expect(isKingdeeFileUrl("https://baode.kdcloud.com/files/a.pdf", settings)).toBe(true);
    expect(isKingdeeFileUrl("https://file.piaozone.com/a.pdf", settings)).toBe(true);
    expect(isKingdeeFileUrl("http://file.piaozone.com/a.pdf", settings)).toBe(false);
    expect(isKingdeeFileUrl("https://piaozone.com.evil.example/a.pdf", settings)).toBe(false);
    expect(isKingdeeFileUrl("https://evil.example/a.pdf", settings)).toBe(false);
    expect(isKingdeeFileUrl("https://u:p@file.piaozone.com/a.pdf", settings)).toBe(false);
    expect(
      isKingdeeFileUrl("http://127.0.0.1:9400/demo/files/a.pdf", { baseUrl: "http://127.0.0.1:9400/demo" }),
    ).toBe(true);
  });
});
