import { describe, expect, it } from "vitest";
import { newToken } from "../../platform/ids";
import { invoiceSmsMessage, SMS_SINGLE_LIMIT, smsParts } from "./sms";
import { aliyunCanonicalQuery, aliyunPercentEncode } from "./sms-aliyun";

const base = {
  mobile: "13800138000",
  signName: "票码",
  templateCode: "SMS_468120001",
  token: "Ab3dEf6hIj9kLm2nOp5qRs8t",
  outId: "dlv_1",
};

describe("the invoice SMS", () => {
  it("is one billed SMS with the link, the seller's name shortened to fit", () => {
    const m = invoiceSmsMessage({
      ...base,
      sellerName: "杭州西湖区某某某餐饮管理有限公司文三路第二分店",
      publicUrl: "https://fapiao.example.com",
    });
    expect(m.text.startsWith("【票码】")).toBe(true);
    expect(m.text.endsWith("https://fapiao.example.com/s/Ab3dEf6hIj9kLm2nOp5qRs8t")).toBe(true);
    expect([...m.text].length).toBeLessThanOrEqual(SMS_SINGLE_LIMIT);
    expect([...m.text].length).toBe(SMS_SINGLE_LIMIT);
    expect(smsParts(m.text)).toBe(1);
    expect(m.params[0]?.value.endsWith("…")).toBe(true);
    expect(m.params[1]).toEqual({ name: "code", value: base.token });
  });

  it("keeps a short name whole, and drops the name rather than exceed one SMS", () => {
    const short = invoiceSmsMessage({ ...base, sellerName: "示例餐厅", publicUrl: "https://fp.example.com" });
    expect(short.text).toBe("【票码】示例餐厅发票：https://fp.example.com/s/Ab3dEf6hIj9kLm2nOp5qRs8t");
    const longUrl = invoiceSmsMessage({
      ...base,
      sellerName: "示例餐厅",
      publicUrl: "https://invoices.a-rather-long-domain-name.example.com",
    });
    expect(longUrl.params[0]?.value).toBe("");
    expect(smsParts("字".repeat(71))).toBe(2);
  });
});

describe("the invoice SMS and 我的发票", () => {
  it("links the receipt's page only: a second link to /my does not fit one billed SMS, even without the seller", () => {
    const publicUrl = "https://fapiao.example.com";
    const m = invoiceSmsMessage({
      ...base,
      token: newToken(),
      sellerName: "杭州西湖区某某某餐饮管理有限公司文三路第二分店",
      publicUrl,
    });
    expect(m.text.match(/https?:\/\//g)).toHaveLength(1);
    expect(m.text).toMatch(new RegExp(`${publicUrl}/s/[A-Za-z0-9_-]{24}$`));
    expect(m.text).not.toContain(`${publicUrl}/my`);
    // The page it links, which links 我的发票 (web/scan result and status views), plus the
    // shortest way to name the second link: more than one SMS with the seller's name dropped.
    const withoutName = invoiceSmsMessage({ ...base, token: newToken(), sellerName: "", publicUrl });
    expect(smsParts(`${withoutName.text} 我的发票 ${publicUrl}/my`)).toBe(2);
  });
});

describe("阿里云 RPC signature encoding", () => {
  it("encodes per RFC 3986 and sorts by name", () => {
    expect(aliyunPercentEncode("a b*c~d'(!)")).toBe("a%20b%2Ac~d%27%28%21%29");
    expect(aliyunPercentEncode("票")).toBe("%E7%A5%A8");
    expect(aliyunCanonicalQuery({ b: "2", A: "1", Signature: "x", a: "3" })).toBe("A=1&a=3&b=2");
  });
});
