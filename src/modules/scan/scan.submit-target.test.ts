import { eq } from "drizzle-orm";
import { afterAll, beforeAll, expect, it } from "vitest";
import { createTestApp, type TestApp } from "../../../test/support/app";
import { describeEachDatabase } from "../../../test/support/db";
import { makeOrganization, makeReceiptCode, makeUscc } from "../../../test/support/factories";
import { organizations, receiptCodes, reviewRules, taxBureauAccounts } from "../../platform/db/schema";
import { submitTargetIn } from "./scan.queries";
import { readTarget } from "./scan.submit";

/**
 * The submit's read, on both databases: the hot statement (by token, its flat row made into parts)
 * and the transaction's Drizzle read (by id) give the same Target — dates as dates, numerics as
 * stored, the organization and tax account as their whole rows, a missing join as null — on the
 * statement's first run (described) and later ones (rows by the compiled maker).
 */
describeEachDatabase("the submit's read", (kind) => {
  let app: TestApp;
  let orgId: string;
  beforeAll(async () => {
    app = await createTestApp(kind);
    orgId = (await makeOrganization(app.ctx.database, { name: "提交读取测试有限公司" })).id;
  });
  afterAll(() => app?.close());

  const inTransaction = (codeId: string) =>
    app.ctx.database.db.transaction((tx) => submitTargetIn(tx, codeId));

  it("reads the same target by token (hot statement) and by id in a transaction, before and after a submit", async () => {
    const code = await makeReceiptCode(app.ctx, orgId);
    await app.ctx.database.db.insert(reviewRules).values({
      id: `rr_${code.id}`,
      orgId,
      source: "push",
      invoiceType: null,
      minAmount: "5000.00",
      buyerType: null,
    });
    const [stored] = await app.ctx.database.db
      .select()
      .from(receiptCodes)
      .where(eq(receiptCodes.id, code.id));
    const [org] = await app.ctx.database.db.select().from(organizations).where(eq(organizations.id, orgId));
    const [account] = await app.ctx.database.db
      .select()
      .from(taxBureauAccounts)
      .where(eq(taxBureauAccounts.id, stored!.taxAccountId!));

    const first = await readTarget(app.ctx, code.token);
    const again = await readTarget(app.ctx, code.token);
    expect(again).toEqual(first);
    expect(await inTransaction(code.id)).toEqual(first);

    expect(first.code).toEqual({
      id: code.id,
      orgId,
      token: code.token,
      serialNo: stored!.serialNo,
      source: "manual",
      taxAccountId: stored!.taxAccountId,
      invoiceTypes: stored!.invoiceTypes,
      priceIncludesTax: true,
      expiresAt: stored!.expiresAt,
      status: "active",
      drawer: "张会计",
      payee: stored!.payee,
      reviewer: stored!.reviewer,
      remark: stored!.remark,
      totalAmount: stored!.totalAmount,
    });
    expect(first.code.expiresAt).toBeInstanceOf(Date);
    expect(first.submission).toBeNull();
    expect(first.config).toMatchObject({ overLimitPolicy: expect.any(String), mergeEnabled: false });
    expect(first.org).toEqual(org);
    expect(first.account).toEqual(account);
    expect(first.account?.channel).toBe("sandbox");
    expect(first.lines.map((l) => l.name)).toEqual(["午餐", "标准间", "标准间"]);
    expect(first.lines[0]).toMatchObject({ kind: "normal", taxRate: "0.0600", amount: "100.00" });
    const rules = typeof first.reviewRules === "string" ? JSON.parse(first.reviewRules) : first.reviewRules;
    expect(rules).toEqual([{ source: "push", invoiceType: null, minAmount: "5000.00", buyerType: null }]);

    const taxId = makeUscc("91310000");
    const res = await app.http.inject({
      method: "POST",
      url: `/api/scan/${code.token}/submit`,
      headers: { "content-type": "application/json" },
      payload: JSON.stringify({
        invoiceType: "digital_normal",
        buyer: { type: "enterprise", name: "上海提交读取科技有限公司", taxId },
        email: "finance@example.com",
      }),
    });
    expect(res.statusCode).toBeLessThan(300);
    const after = await readTarget(app.ctx, code.token);
    expect(after.submission).toEqual({
      invoiceType: "digital_normal",
      buyerType: "enterprise",
      buyerName: "上海提交读取科技有限公司",
      buyerTaxId: taxId,
    });
    expect(await inTransaction(code.id)).toEqual(after);
  });

  it("answers RECEIPT_CODE_NOT_FOUND for an unknown token, and nothing in a transaction for an unknown id", async () => {
    await expect(readTarget(app.ctx, "no-such-token")).rejects.toMatchObject({
      code: "RECEIPT_CODE_NOT_FOUND",
    });
    expect(await inTransaction("rc_missing")).toBeUndefined();
  });
});
