import { asc, eq } from "drizzle-orm";
import { afterEach, describe, expect, it, vi } from "vitest";
import { createTestApp, type TestApp } from "../../../test/support/app";
import { databaseKinds } from "../../../test/support/db";
import { makeOrganization, makeReceiptCode, makeUscc } from "../../../test/support/factories";
import { auditLog, invoiceFiles, invoices, receiptCodes, taxBureauAccounts } from "../../platform/db/schema";
import { deliveryRows } from "../deliveries/deliveries.service";
import { findOrganizationByIdOrTaxId } from "../organizations/organizations.repository";
import { findInvoice } from "./invoices.repository";
import { type IssuedFile, saveIssued } from "./issuing.save";

let app: TestApp | undefined;
afterEach(async () => {
  await app?.close();
  app = undefined;
});

const file = (kind: string, contentType: string, text: string): IssuedFile => ({
  kind,
  contentType,
  size: Buffer.byteLength(text),
  sha256: `${kind}-sha`,
  storageKey: null,
  content: Buffer.from(text),
});

for (const kind of databaseKinds()) {
  describe(`saving an issued invoice with a channel's files [${kind}]`, () => {
    it("saves the invoice, its pdf / ofd / xml and preview, the pending list, deliveries, code status and audit in one statement; a racing save loses", async () => {
      app = await createTestApp(kind);
      const org = await makeOrganization(app.ctx.database);
      // The sandbox offline: the submit leaves the invoice `issuing`, as a channel's 开票中 would.
      await app.ctx.database.db
        .update(taxBureauAccounts)
        .set({ settings: { mode: "offline" } })
        .where(eq(taxBureauAccounts.orgId, org.id));
      const code = await makeReceiptCode(app.ctx, org.id);
      const res = await app.http.inject({
        method: "POST",
        url: `/api/scan/${code.token}/submit`,
        headers: { "content-type": "application/json" },
        payload: {
          invoiceType: "digital_normal",
          buyer: { type: "enterprise", name: "杭州某某贸易有限公司", taxId: makeUscc("91330100") },
          email: "buyer@example.com",
        },
      });
      expect(res.json()).toMatchObject({ status: "issuing" });
      const [row] = await app.ctx.database.db.select().from(invoices).where(eq(invoices.orgId, org.id));
      const invoice = (await findInvoice(app.ctx.database.db, row!.id))!;
      const orgRow = (await findOrganizationByIdOrTaxId(app.ctx.database.db, org.id))!;
      const files = [
        file("preview_pdf", "application/pdf", "our pdf"),
        file("ofd", "application/ofd", "their ofd"),
        file("xml", "application/xml", "<their/>"),
      ];
      const pendingFiles = [{ kind: "pdf" as const, url: "https://files.example.com/a.pdf" }];
      const issuedAt = new Date("2026-12-04T10:00:00.000Z");
      const transaction = vi.spyOn(app.ctx.database.db, "transaction");
      const save = (number: string) =>
        saveIssued(app!.ctx, {
          invoice,
          org: orgRow,
          number,
          issuedAt,
          files,
          created: deliveryRows(app!.ctx, {
            invoiceIds: [invoice.id],
            email: invoice.email,
            mobile: invoice.mobile,
            reason: "submit",
          }),
          pendingFiles,
        });
      const before = Date.now();
      const outcomes = await Promise.all([save("26440000000000000001"), save("26440000000000000001")]);
      // One statement, no transaction; the database decided which save issued it.
      expect(transaction).not.toHaveBeenCalled();
      expect(outcomes.filter(Boolean)).toHaveLength(1);

      const saved = (await findInvoice(app.ctx.database.db, invoice.id))!;
      expect(saved).toMatchObject({ status: "issued", number: "26440000000000000001", issuedAt });
      expect((saved.channelData as { pendingFiles?: unknown }).pendingFiles).toEqual(pendingFiles);
      expect((saved.channelData as { orderNo?: string }).orderNo).toBe(
        (invoice.channelData as { orderNo?: string }).orderNo,
      );
      const due = saved.nextAttemptAt!.getTime() - before;
      expect(due).toBeGreaterThan(0);
      expect(due).toBeLessThanOrEqual(app.ctx.config.tuning.issueRetrySeconds * 1000 + 60_000);

      const stored = await app.ctx.database.db
        .select()
        .from(invoiceFiles)
        .where(eq(invoiceFiles.invoiceId, invoice.id))
        .orderBy(asc(invoiceFiles.kind));
      expect(
        stored.map((f) => [f.kind, f.contentType, f.size, f.sha256, f.storageKey, f.content?.toString()]),
      ).toEqual([
        ["ofd", "application/ofd", 9, "ofd-sha", null, "their ofd"],
        ["preview_pdf", "application/pdf", 7, "preview_pdf-sha", null, "our pdf"],
        ["xml", "application/xml", 8, "xml-sha", null, "<their/>"],
      ]);
      const [codeRow] = await app.ctx.database.db
        .select()
        .from(receiptCodes)
        .where(eq(receiptCodes.id, invoice.receiptCodeId));
      expect(codeRow?.status).toBe("invoiced");
      const issuedAudit = await app.ctx.database.db
        .select()
        .from(auditLog)
        .where(eq(auditLog.action, "invoice.issued"));
      expect(issuedAudit).toHaveLength(1);
      expect(issuedAudit[0]).toMatchObject({ entityId: invoice.id, orgId: org.id });
      const sent = await app.ctx.database.db.query.deliveries.findMany({
        where: (d, { eq: is }) => is(d.invoiceId, invoice.id),
      });
      expect(sent.filter((d) => d.reason === "submit")).toHaveLength(1);
    });
  });
}
