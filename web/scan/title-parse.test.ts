import { describe, expect, it } from "vitest";
import { parseWechatTitle } from "./title-parse";

describe("parseWechatTitle", () => {
  it("reads a 单位 title as chooseInvoiceTitle hands it over (JSON text)", () => {
    const info = JSON.stringify({
      type: "0",
      title: "腾讯科技（深圳）有限公司",
      taxNumber: "91440300708461136T",
      companyAddress: "深圳市南山区科技中一路腾讯大厦",
      telephone: "0755-86013388",
      bankName: "招商银行深圳分行",
      bankAccount: "755901234510001",
    });
    expect(parseWechatTitle(info)).toEqual({
      buyerType: "enterprise",
      name: "腾讯科技（深圳）有限公司",
      taxId: "91440300708461136T",
      address: "深圳市南山区科技中一路腾讯大厦",
      phone: "0755-86013388",
      bankName: "招商银行深圳分行",
      bankAccount: "755901234510001",
    });
  });

  it("reads a 个人 title given as an object, missing fields empty", () => {
    expect(parseWechatTitle({ type: "1", title: " 张三 " })).toEqual({
      buyerType: "individual",
      name: "张三",
      taxId: "",
      address: "",
      phone: "",
      bankName: "",
      bankAccount: "",
    });
  });

  it("gives nothing for text that is not a title", () => {
    for (const bad of ["", "not json", "null", "{}", JSON.stringify({ type: "0", title: 42 }), 7, null])
      expect(parseWechatTitle(bad)).toBeNull();
  });
});
