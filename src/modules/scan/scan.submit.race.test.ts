import { eq } from "drizzle-orm";
import { afterAll, beforeAll, expect, it } from "vitest";
import { createTestApp, type TestApp } from "../../../test/support/app";
import { connectToSameDatabase, describePostgres } from "../../../test/support/db";
import { makeOrganization, makeReceiptCode, makeUscc } from "../../../test/support/factories";
import { waitUntil } from "../../../test/support/wait";
import { auditLog, invoices, receiptCodes, submissions } from "../../platform/db/schema";

/**
 * The submit reads the code, then writes in one statement that locks the code first. A code
 * disabled by an operator between the two (here: while the submit waits for the operator's lock)
 * must get the disabled answer and leave nothing behind: no submission, invoice or audit entry.
 * Row locks only exist on PostgreSQL.
 */
describePostgres("submit racing an operator who disables the code [postgres]", () => {
  let app: TestApp;
  let orgId: string;
  beforeAll(async () => {
    app = await createTestApp("postgres");
    orgId = (await makeOrganization(app.ctx.database)).id;
  });
  afterAll(() => app?.close());

  it("answers RECEIPT_CODE_DISABLED and writes nothing when the disable commits while the submit waits", async () => {
    const code = await makeReceiptCode(app.ctx, orgId);
    const database = app.ctx.database;
    const op = await connectToSameDatabase(database);
    try {
      await op.query("begin");
      await op.query("update receipt_codes set status = 'disabled' where id = $1", [code.id]);

      const answer = app.http.inject({
        method: "POST",
        url: `/api/scan/${code.token}/submit`,
        headers: { "content-type": "application/json" },
        payload: JSON.stringify({
          invoiceType: "digital_normal",
          buyer: { type: "enterprise", name: "上海某某科技有限公司", taxId: makeUscc("91310000") },
          email: "finance@example.com",
        }),
      });
      // The submit has read the code (still active for it) and now waits for the operator's lock.
      await waitUntil(async () => {
        const { rows } = await op.query(
          "select count(*)::int as n from pg_locks where not granted and locktype = 'transactionid'",
        );
        return rows[0].n > 0;
      }, "the submit waiting for the code's row lock");
      await op.query("commit");

      const res = await answer;
      expect(res.statusCode).toBe(410);
      expect(res.json().error.code).toBe("RECEIPT_CODE_DISABLED");
      const { db } = database;
      expect(await db.select().from(submissions).where(eq(submissions.receiptCodeId, code.id))).toEqual([]);
      expect(await db.select().from(invoices).where(eq(invoices.receiptCodeId, code.id))).toEqual([]);
      expect(await db.select().from(auditLog).where(eq(auditLog.entityId, code.id))).toEqual(
        expect.not.arrayContaining([expect.objectContaining({ action: "scan.submit" })]),
      );
      const [row] = await db.select().from(receiptCodes).where(eq(receiptCodes.id, code.id));
      expect(row?.status).toBe("disabled");
    } finally {
      await op.end();
    }
  });
});
