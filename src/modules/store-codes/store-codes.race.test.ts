import { and, eq, inArray } from "drizzle-orm";
import type pg from "pg";
import { afterAll, beforeAll, expect, it } from "vitest";
import { createTestApp, type TestApp } from "../../../test/support/app";
import { connectToSameDatabase, describePostgres } from "../../../test/support/db";
import { makeOrganization, makeReceiptCode, makeUscc } from "../../../test/support/factories";
import { type AppKeys, makeCredentials, openRequest } from "../../../test/support/open-api";
import { waitUntil } from "../../../test/support/wait";
import { pendingSubmissions, receiptCodes, storeCodes, submissions } from "../../platform/db/schema";
import { newId, newToken } from "../../platform/ids";
import { submitPending } from "./store-codes.service";

/**
 * Two matches of one 门店码 submission at the same moment, on PostgreSQL (row locks): the submission's
 * row is held by another connection until both requests wait for it, then released, so both really
 * run at once. Exactly one wins; the other is refused and leaves nothing behind.
 */
describePostgres("门店码: concurrent matches of one submission [postgres]", () => {
  let app: TestApp;
  let orgId: string;
  let keys: AppKeys;
  let storeToken: string;
  let op: pg.Client;

  beforeAll(async () => {
    app = await createTestApp("postgres");
    orgId = (await makeOrganization(app.ctx.database)).id;
    keys = await makeCredentials(app, orgId);
    storeToken = newToken();
    await app.ctx.database.db
      .insert(storeCodes)
      .values({ id: newId("stc"), orgId, name: "收银台", token: storeToken });
    op = await connectToSameDatabase(app.ctx.database);
  });
  afterAll(async () => {
    await op?.end();
    await app?.close();
  });

  const newPending = async () => {
    const view = await submitPending(app.ctx, {
      storeToken,
      body: {
        invoiceType: "digital_normal",
        buyer: { type: "enterprise", name: "并发门店测试有限公司", taxId: makeUscc("91310000") },
        email: "race-buyer@example.com",
        amount: "88.00",
      },
    });
    const [row] = await app.ctx.database.db
      .select()
      .from(pendingSubmissions)
      .where(eq(pendingSubmissions.token, view.token));
    return row!.id;
  };

  /** Runs the requests while the submission's row is locked elsewhere, releasing it once all wait. */
  async function racing<T>(pendingId: string, requests: () => Array<Promise<T>>): Promise<T[]> {
    await op.query("begin");
    await op.query("select 1 from pending_submissions where id = $1 for update", [pendingId]);
    const answers = Promise.all(requests());
    await waitUntil(async () => {
      const { rows } = await op.query(
        "select count(*)::int as n from pg_locks where not granted and locktype in ('tuple', 'transactionid')",
      );
      return rows[0].n >= 2;
    }, "both matches waiting for the submission's row");
    await op.query("commit");
    return answers;
  }

  const order = (orderNo: string) => ({
    orderNo,
    orderTime: "2026-11-22T12:30:00+08:00",
    drawer: "张三",
    pendingSubmissionId: "",
    lines: [
      {
        name: "午餐",
        shortName: "餐饮服务",
        taxCode: "3070401000000000000",
        taxRate: "0.06",
        amount: "88.00",
      },
    ],
  });

  it("two orders pushed with the same submission: one is created and matched, the other refused and not created", async () => {
    const id = await newPending();
    const answers = await racing(id, () =>
      ["RACE-A", "RACE-B"].map((orderNo) =>
        openRequest(app, keys, {
          method: "POST",
          url: "/open/v1/receipt-codes",
          body: { ...order(orderNo), pendingSubmissionId: id },
        }),
      ),
    );
    expect(answers.map((r) => r.statusCode).sort()).toEqual([201, 409]);
    expect(answers.find((r) => r.statusCode === 409)?.json().error.code).toBe("PENDING_SUBMISSION_CLOSED");
    const codes = await app.ctx.database.db
      .select()
      .from(receiptCodes)
      .where(and(eq(receiptCodes.orgId, orgId), inArray(receiptCodes.serialNo, ["RACE-A", "RACE-B"])));
    expect(codes).toHaveLength(1);
    const [pending] = await app.ctx.database.db
      .select()
      .from(pendingSubmissions)
      .where(eq(pendingSubmissions.id, id));
    expect(pending).toMatchObject({ status: "matched", receiptCodeId: codes[0]!.id });
    const subs = await app.ctx.database.db
      .select()
      .from(submissions)
      .where(eq(submissions.receiptCodeId, codes[0]!.id));
    expect(subs).toHaveLength(1);
  });

  it("the same order pushed twice with the submission at once: one code, 201 and 200", async () => {
    const id = await newPending();
    const body = { ...order("RACE-SAME"), pendingSubmissionId: id };
    const answers = await racing(id, () =>
      [0, 1].map(() => openRequest(app, keys, { method: "POST", url: "/open/v1/receipt-codes", body })),
    );
    expect(answers.map((r) => r.statusCode).sort(), answers.map((r) => r.body).join("\n")).toEqual([
      200, 201,
    ]);
    expect(new Set(answers.map((r) => r.json().id)).size).toBe(1);
  });

  it("two matches in the open API of one submission to two orders: one wins, one submission", async () => {
    const id = await newPending();
    const a = await makeReceiptCode(app.ctx, orgId, {
      lines: [
        {
          name: "午餐",
          shortName: "餐饮服务",
          taxCode: "3070401000000000000",
          taxRate: "0.06",
          amount: "88.00",
        },
      ],
    });
    const b = await makeReceiptCode(app.ctx, orgId, {
      lines: [
        {
          name: "午餐",
          shortName: "餐饮服务",
          taxCode: "3070401000000000000",
          taxRate: "0.06",
          amount: "88.00",
        },
      ],
    });
    const answers = await racing(id, () =>
      [a, b].map((code) =>
        openRequest(app, keys, {
          method: "POST",
          url: `/open/v1/pending-submissions/${id}/match`,
          body: { orderNo: code.serialNo },
        }),
      ),
    );
    expect(answers.map((r) => r.statusCode).sort()).toEqual([200, 409]);
    const subs = await app.ctx.database.db
      .select()
      .from(submissions)
      .where(inArray(submissions.receiptCodeId, [a.id, b.id]));
    expect(subs).toHaveLength(1);
  });
});
