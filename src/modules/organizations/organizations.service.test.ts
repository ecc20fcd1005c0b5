import { eq } from "drizzle-orm";
import { afterEach, beforeEach, expect, it } from "vitest";
import { describeEachDatabase, openTestDatabase } from "../../../test/support/db";
import { makeUscc } from "../../../test/support/factories";
import { systemActor } from "../../context";
import { isValidUscc } from "../../domain";
import type { Database } from "../../platform/db/client";
import { auditLog, organizations, receiptCodeConfigs, taxBureauAccounts } from "../../platform/db/schema";
import { AppError } from "../../platform/errors";
import { createOrganization, getOrganizationByIdOrTaxId } from "./organizations.service";

const actor = systemActor("test");

async function refusal(p: Promise<unknown>): Promise<AppError> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  if (!(e instanceof AppError)) throw new Error(`expected an AppError, got ${String(e)}`);
  return e;
}

describeEachDatabase("createOrganization", (kind) => {
  let database: Database;
  beforeEach(async () => {
    database = await openTestDatabase(kind);
  });
  afterEach(() => database.close());

  it("creates the seller with its 小票码配置, a sandbox tax-bureau account and an audit entry", async () => {
    const taxId = makeUscc();
    expect(isValidUscc(taxId)).toBe(true);
    const org = await createOrganization(
      { database },
      {
        actor,
        input: {
          name: "深圳测试餐饮有限公司",
          taxId: ` ${taxId.toLowerCase()} `,
          limit: "99999.99",
          overLimitPolicy: "split",
          invoiceTypes: ["digital_normal"],
        },
      },
    );
    expect(org.taxId).toBe(taxId);
    const [config] = await database.db
      .select()
      .from(receiptCodeConfigs)
      .where(eq(receiptCodeConfigs.orgId, org.id));
    expect(config).toMatchObject({
      limitText: "99999.99",
      limitAmount: "99999.99",
      overLimitPolicy: "split",
      invoiceTypes: ["digital_normal"],
      defaultInvoiceType: "digital_normal",
    });
    const accounts = await database.db
      .select()
      .from(taxBureauAccounts)
      .where(eq(taxBureauAccounts.orgId, org.id));
    expect(accounts).toHaveLength(1);
    expect(accounts[0]).toMatchObject({ channel: "sandbox", status: "online" });
    expect(config?.defaultTaxAccountId).toBe(accounts[0]?.id);
    const audit = await database.db.select().from(auditLog).where(eq(auditLog.entityId, org.id));
    expect(audit.map((a) => a.action)).toEqual(["organization.create"]);
    expect((await getOrganizationByIdOrTaxId({ database }, taxId)).id).toBe(org.id);
  });

  it("refuses a bad tax ID, a bad limit and an empty name all at once, saving nothing", async () => {
    const e = await refusal(
      createOrganization(
        { database },
        { actor, input: { name: " ", taxId: "91440300MA5PM20201", limit: "0" } },
      ),
    );
    expect(e.code).toBe("VALIDATION_FAILED");
    expect(Object.keys(e.details?.fields ?? {}).sort()).toEqual(["limit", "name", "taxId"]);
    expect(await database.db.select().from(organizations)).toHaveLength(0);
  });

  // 21 bytes as typed is one too many (DOMAIN.md §5).
  it.each(["0", "-1", "abc", "", "1e3", "1234567890123456789.0"])("refuses the limit %j", async (limit) => {
    const e = await refusal(
      createOrganization({ database }, { actor, input: { name: "x", taxId: makeUscc(), limit } }),
    );
    expect(e.details?.fields?.limit).toBeTruthy();
  });

  it("refuses a second organization with the same tax ID", async () => {
    const taxId = makeUscc();
    await createOrganization({ database }, { actor, input: { name: "甲", taxId } });
    const e = await refusal(createOrganization({ database }, { actor, input: { name: "乙", taxId } }));
    expect(e.code).toBe("CONFLICT");
    expect(await database.db.select().from(organizations)).toHaveLength(1);
  });

  it("says which organization it cannot find", async () => {
    const e = await refusal(getOrganizationByIdOrTaxId({ database }, "org_missing"));
    expect(e.code).toBe("NOT_FOUND");
    expect(e.message).toContain("org_missing");
  });
});
