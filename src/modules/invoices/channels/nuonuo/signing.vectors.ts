import { nuonuoSign } from "./signing";

// The three published vectors of CHANNELS.md §1.4 (two from the official signing guide, one frozen
// against the official Python sample), reproduced byte for byte.
export const NUONUO_SIGNING_VECTORS = [
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

/** Each published vector as this adapter's signer computes it (the shared §7.6 item 10). */
export function nuonuoVectorsAsSigned(): Array<{ name: string; expected: string; actual: string }> {
  return NUONUO_SIGNING_VECTORS.map((v, i) => ({
    name: `§1.4 vector ${i + 1}`,
    expected: v.sign,
    actual: nuonuoSign({ path: "/open/v1/services", ...v }),
  }));
}
