/** Invoices for the 金蝶 adapter's tests: real computed lines from the domain, the whole invoice filled in. */
import { computed, item } from "../../../../domain/test-support";
import type { CachedKingdeeToken, KingdeeTokenStore } from "./client";
import type { KingdeeIssueRequest } from "./types";

export function kingdeeInvoice(
  serial: string,
  overrides: Partial<KingdeeIssueRequest> = {},
): KingdeeIssueRequest {
  const invoice = computed([
    item({
      name: "午餐",
      amount: "106.00",
      quantity: "2",
      unitPrice: "53",
      discount: "-6.00",
      spec: "套",
      unit: "份",
    }),
    item({
      name: "蔬菜",
      shortName: "蔬菜",
      taxCode: "1010101000000000000",
      taxRate: "0",
      zeroRateKind: "exempt",
      amount: "20.00",
    }),
    item({
      name: "咨询",
      shortName: "信息技术服务",
      taxCode: "3040201000000000000",
      taxRate: "0.13",
      amount: "0.10",
    }),
  ]);
  return {
    serial,
    channelOrderNo: serial,
    invoiceType: "digital_normal",
    seller: {
      name: "上海票码示范餐饮有限公司",
      taxId: "91310000MA1FL0XX7Q",
      address: "上海市浦东新区示范路1号",
      phone: "021-50000000",
      bank: "招商银行上海分行",
      bankAccount: "121900000010101",
    },
    buyer: {
      type: "enterprise",
      name: "杭州买方科技有限公司",
      taxId: "91330100MA2B00XX1K",
      naturalPerson: false,
      address: "杭州市西湖区文三路2号",
      phone: "0571-88000000",
      bank: "工商银行杭州分行",
      bankAccount: "1202000000000000001",
      email: "buyer@example.com",
    },
    lines: invoice.lines,
    totals: invoice.totals,
    remark: "桌号 12",
    drawer: "张三",
    payee: "李四",
    reviewer: "王五",
    ...overrides,
  };
}

/** A token store of the test's own, so tests do not share tokens through the process-wide default. */
export function testTokenStore(): KingdeeTokenStore & { map: Map<string, CachedKingdeeToken> } {
  const map = new Map<string, CachedKingdeeToken>();
  return {
    map,
    get: (key) => map.get(key),
    set: (key, token) => {
      if (token) map.set(key, token);
      else map.delete(key);
    },
  };
}
