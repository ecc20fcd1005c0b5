import { describe, expect, it } from "vitest";
import { parseNationalQr, parseTitleQr, parseWechatQr } from "./title-qr-parse";

const b64 = (text: string) => Buffer.from(text, "utf8").toString("base64");
const national = (fields: string[], check = "A1B2") => `$01${fields.map(b64).join("</>")}</>${check}$`;

describe("title QR parsers", () => {
  it("reads the national 便捷开票二维码: name, tax ID, address and phone, bank and account", () => {
    const text = national([
      "杭州示例网络科技有限公司",
      "91330106MA2B0000X1",
      "杭州市西湖区文三路100号 0571-88886666",
      "招商银行杭州分行 571901234510001",
    ]);
    expect(parseNationalQr(text)).toEqual({
      buyerType: "enterprise",
      name: "杭州示例网络科技有限公司",
      taxId: "91330106MA2B0000X1",
      address: "杭州市西湖区文三路100号",
      phone: "0571-88886666",
      bankName: "招商银行杭州分行",
      bankAccount: "571901234510001",
    });
    expect(parseTitleQr(`  ${text}\n`)?.name).toBe("杭州示例网络科技有限公司");
  });

  it("reads GBK text in the national format, and empty optional fields", () => {
    // "测试公司" in GBK.
    const gbk = Buffer.from([0xb2, 0xe2, 0xca, 0xd4, 0xb9, 0xab, 0xcb, 0xbe]).toString("base64");
    const text = `$01${gbk}</>${b64("91310115ma1k2222z3")}</></></>0000$`;
    expect(parseNationalQr(text)).toMatchObject({
      name: "测试公司",
      taxId: "91310115MA1K2222Z3",
      address: "",
      phone: "",
      bankName: "",
      bankAccount: "",
    });
  });

  it("keeps an address without a phone whole", () => {
    const text = national(["甲公司", "91330106MA2B0000X1", "北京市海淀区中关村大街1号院", ""]);
    expect(parseNationalQr(text)).toMatchObject({ address: "北京市海淀区中关村大街1号院", phone: "" });
  });

  it("reads WeChat's title QR as JSON or as a link's query", () => {
    const fields = {
      type: "0",
      title: "上海微信示例信息技术有限公司",
      taxNumber: "91310115MA1K2222Z3",
      companyAddress: "上海市浦东新区世纪大道100号",
      telephone: "021-66668888",
      bankName: "招商银行上海分行",
      bankAccount: "6225880212345678",
    };
    const expected = {
      buyerType: "enterprise",
      name: fields.title,
      taxId: fields.taxNumber,
      address: fields.companyAddress,
      phone: fields.telephone,
      bankName: fields.bankName,
      bankAccount: fields.bankAccount,
    };
    expect(parseWechatQr(JSON.stringify(fields))).toEqual(expected);
    expect(parseTitleQr(`https://mp.weixin.qq.com/invoice/title?${new URLSearchParams(fields)}`)).toEqual(
      expected,
    );
    expect(parseTitleQr(JSON.stringify({ type: "1", title: "张三" }))).toMatchObject({
      buyerType: "individual",
      name: "张三",
    });
  });

  it("gives nothing for other QR codes", () => {
    for (const text of [
      "",
      "https://fapiao.example.com/s/abcdefgh12345678",
      "01,32,,24312000000000000001,100.00,20260115,,C6D2",
      "$01$",
      "$01!!!</>x</>y</>z</>0$",
      `$01</>${b64("913301")}</></></>0$`,
      "{not json",
    ])
      expect(parseTitleQr(text), text).toBeNull();
  });
});
