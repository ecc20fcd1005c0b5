import { describe, expect, it } from "vitest";
import { newNonce, newSenid, nuonuoSign, signedText } from "./signing";

// The three published vectors of CHANNELS.md §1.4 (two from the official signing guide, one frozen
// against the official Python sample), reproduced byte for byte.
const VECTORS = [
  {
    appKey: "SD58292829",
    appSecret: "SD886A11B0EE428F",
    senid: "20200918125249803",
    nonce: "2124",
    timestamp: "1600404769",
    body: '{"invoiceCode": "11111","invoiceNo": "2222","inTaxAmount": "","exTaxAmount": ""}',
    sign: "Cb6YthKcFJ5oXtV6HRllGmAs2g0=",
  },
  {
    appKey: "nPjzeluO",
    appSecret: "430367F22509482D",
    senid: "44dc89d9e6f0425e8ecabeaf57708459",
    nonce: "496648396",
    timestamp: "1600746050",
    body: '{"taxNo":"91140100586192037X","customerOrderNo":"NN20200922114058tIRje367477953","amount":"2000.0","subject":"扫码支付","returnUrl":"","billingType":"0","sn":"1809CA884901","sellerNote":"zhyw廉生","deptId":"8F0095616A17484DAD2C17925C04B78E","timeExpire":"15","appKey":"nPjzeluO"}',
    sign: "A7MIBwspggk6mx+PqbUPiPq0u8U=",
  },
  {
    appKey: "app",
    appSecret: "secret",
    senid: "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
    nonce: "12345678",
    timestamp: "1700000000",
    body: '{"name":"中文"}',
    sign: "4BzcKzrcoqxPis0W/W3X2ae0uIo=",
  },
];

describe("诺诺 signing", () => {
  it.each(VECTORS.map((v, i) => [i + 1, v] as const))("reproduces published vector %i", (_n, v) => {
    expect(nuonuoSign({ path: "/open/v1/services", ...v })).toBe(v.sign);
  });

  it("builds the signed text from the path parts in a / l / p order", () => {
    expect(
      signedText({
        path: "/open/v1/services",
        appKey: "k",
        senid: "i",
        nonce: "1",
        timestamp: "2",
        body: "{}",
      }),
    ).toBe("a=services&l=v1&p=open&k=k&i=i&n=1&t=2&f={}");
  });

  it("a changed byte of the body changes the signature", () => {
    const v = VECTORS[2]!;
    expect(nuonuoSign({ path: "/open/v1/services", ...v, body: '{"name": "中文"}' })).not.toBe(v.sign);
  });

  it("makes 32-character senids and 8-digit nonces", () => {
    expect(newSenid()).toMatch(/^[0-9a-f]{32}$/);
    expect(newNonce()).toMatch(/^[1-9]\d{7}$/);
  });
});
