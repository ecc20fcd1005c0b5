import { type AppContext, systemActor } from "../../src/context";
import type { CreateOrganizationInput } from "../../src/modules/organizations/organizations.schema";
import { createOrganization } from "../../src/modules/organizations/organizations.service";
import type { CreateReceiptCodeInput } from "../../src/modules/receipt-codes/receipt-codes.schema";
import { createReceiptCode } from "../../src/modules/receipt-codes/receipt-codes.service";
import type { Database } from "../../src/platform/db/client";

/**
 * Valid 统一社会信用代码 for tests, made from an organization-code body with both check characters
 * computed (GB 32100 / GB 11714), so factories never collide.
 */
const ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY";
let counter = 0;

export function makeUscc(prefix = "91440300"): string {
  counter += 1;
  const body8 = `PT${String(Date.now() % 10000).padStart(4, "0")}${String(counter).padStart(2, "0")}`.slice(
    0,
    8,
  );
  const orgWeights = [3, 7, 9, 10, 5, 8, 4, 2];
  const value = (c: string) => (/\d/.test(c) ? Number(c) : c.charCodeAt(0) - 55);
  const c = 11 - (orgWeights.reduce((s, w, i) => s + value(body8[i]!) * w, 0) % 11);
  const orgCheck = c === 10 ? "X" : c === 11 ? "0" : String(c);
  const first17 = prefix + body8 + orgCheck;
  let sum = 0;
  for (let i = 0; i < 17; i++) sum += ALPHABET.indexOf(first17[i]!) * (3 ** i % 31);
  return first17 + ALPHABET[(31 - (sum % 31)) % 31];
}

/**
 * An organization as `org:create` makes it, on an installation that allows private merchant URLs:
 * the merchants of tests listen on loopback. (The refusal itself is tested with its own config.)
 */
export async function makeOrganization(database: Database, overrides: Partial<CreateOrganizationInput> = {}) {
  return createOrganization(
    { database, config: { allowPrivateUrls: true } },
    { actor: systemActor("test"), input: { name: "测试销售方有限公司", taxId: makeUscc(), ...overrides } },
  );
}

/** A receipt code with two lines and a discount, as the console would create it. */
export async function makeReceiptCode(
  ctx: Pick<AppContext, "database" | "config">,
  orgId: string,
  overrides: Partial<CreateReceiptCodeInput> = {},
) {
  counter += 1;
  return createReceiptCode(ctx, {
    actor: systemActor("test"),
    orgId,
    source: "manual",
    input: {
      serialNo: `T-${Date.now()}-${counter}`,
      drawer: "张会计",
      lines: [
        {
          name: "午餐",
          shortName: "餐饮服务",
          taxCode: "3070401000000000000",
          taxRate: "0.06",
          amount: "100.00",
        },
        {
          name: "标准间",
          shortName: "住宿服务",
          taxCode: "3070402000000000000",
          taxRate: "0.06",
          quantity: "2",
          unitPrice: "388.00",
          amount: "776.00",
          discount: "-76.00",
        },
      ],
      ...overrides,
    },
  });
}
