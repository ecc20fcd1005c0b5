import { eq } from "drizzle-orm";
import { afterAll, beforeAll, expect, it } from "vitest";
import { createTestApp, submitAsCompany, type TestApp } from "../../../test/support/app";
import { describePostgres } from "../../../test/support/db";
import { makeOrganization, makeReceiptCode } from "../../../test/support/factories";
import { type AppKeys, makeCredentials, openRequest } from "../../../test/support/open-api";
import { sumAmounts } from "../../domain";
import { invoices } from "../../platform/db/schema";

/**
 * Parallel 红冲 requests on one blue invoice (the factory's: line 1 100.00, line 2 2 × 350.00 net;
 * 800.00) never reverse more than it: each is planned under a row lock on the blue invoice, so the
 * later ones see what the earlier ones took. Row locks and parallel connections: PostgreSQL only.
 */
describePostgres("parallel reversals of one invoice [postgres]", () => {
  let app: TestApp;
  let keys: AppKeys;
  let orgId: string;
  beforeAll(async () => {
    app = await createTestApp("postgres");
    orgId = (await makeOrganization(app.ctx.database)).id;
    keys = await makeCredentials(app, orgId);
  });
  afterAll(() => app?.close());

  it("six requests for one room of two: two red invoices; then four for the rest: one", async () => {
    const code = await makeReceiptCode(app.ctx, orgId);
    const submitted = await submitAsCompany(app, code.token);
    const blueId = submitted.json().invoices[0].id as string;
    const url = `/open/v1/invoices/${blueId}/reverse`;
    const fire = (n: number, body: object) =>
      Promise.all(Array.from({ length: n }, () => openRequest(app, keys, { method: "POST", url, body })));

    const rooms = await fire(6, { reason: "销货退回", lines: [{ lineNo: 2, quantity: "1" }] });
    const statuses = rooms.map((r) => r.statusCode).sort();
    expect(statuses).toEqual([201, 201, 409, 409, 409, 409]);
    for (const r of rooms.filter((r) => r.statusCode === 409)) {
      expect(r.json().error.code).toBe("NOTHING_LEFT_TO_REVERSE");
    }

    const rest = await fire(4, { reason: "销货退回" });
    expect(rest.filter((r) => r.statusCode === 201)).toHaveLength(1);
    expect(rest.filter((r) => r.statusCode === 409)).toHaveLength(3);

    const reds = await app.ctx.database.db.select().from(invoices).where(eq(invoices.blueInvoiceId, blueId));
    expect(reds).toHaveLength(3);
    expect(sumAmounts(reds.map((r) => r.totalAmount))).toBe("-800.00");
    expect(reds.map((r) => r.status)).toEqual(["issued", "issued", "issued"]);
    const [blue] = await app.ctx.database.db.select().from(invoices).where(eq(invoices.id, blueId));
    expect(blue?.status).toBe("reversed");
  });

  it("parallel requests for the whole invoice make one red invoice and all answer with it", async () => {
    const code = await makeReceiptCode(app.ctx, orgId);
    const submitted = await submitAsCompany(app, code.token);
    const blueId = submitted.json().invoices[0].id as string;
    const answers = await Promise.all(
      Array.from({ length: 5 }, () =>
        openRequest(app, keys, {
          method: "POST",
          url: `/open/v1/invoices/${blueId}/reverse`,
          body: { reason: "开票有误" },
        }),
      ),
    );
    expect(answers.map((a) => a.statusCode).sort()).toEqual([200, 200, 200, 200, 201]);
    expect(new Set(answers.map((a) => a.json().id)).size).toBe(1);
    const reds = await app.ctx.database.db.select().from(invoices).where(eq(invoices.blueInvoiceId, blueId));
    expect(reds).toHaveLength(1);
  });
});
