import { createHash } from "node:crypto";
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestApp, type TestApp } from "../../../test/support/app";
import { databaseKinds } from "../../../test/support/db";
import { makeOrganization, makeReceiptCode, makeUscc } from "../../../test/support/factories";
import { startS3, type TestS3 } from "../../../test/support/s3";
import { invoiceFiles } from "../../platform/db/schema";

/** PIAOMA_FILE_STORE=s3 wired through the whole application: issuing writes to the bucket, downloads stream from it. */
for (const kind of databaseKinds()) {
  describe(`invoice files in S3 (${kind})`, () => {
    let s3: TestS3;
    let app: TestApp;
    beforeAll(async () => {
      s3 = await startS3();
      const { settings } = s3;
      app = await createTestApp(kind, {
        env: {
          PIAOMA_FILE_STORE: "s3",
          PIAOMA_S3_BUCKET: settings.bucket,
          PIAOMA_S3_ENDPOINT: settings.endpoint!,
          PIAOMA_S3_ACCESS_KEY_ID: settings.credentials!.accessKeyId,
          PIAOMA_S3_SECRET_ACCESS_KEY: settings.credentials!.secretAccessKey,
          PIAOMA_S3_FORCE_PATH_STYLE: "true",
          PIAOMA_S3_PREFIX: `http-${kind}/`,
        },
      });
    });
    afterAll(async () => {
      await app?.close();
      await s3?.close();
    });

    it("an issued invoice's PDF and XML are objects in the bucket, downloaded through the consumer page", async () => {
      expect(app.ctx.providers.files.id).toBe("s3");
      const org = await makeOrganization(app.ctx.database);
      const code = await makeReceiptCode(app.ctx, org.id);
      const submitted = await app.http.inject({
        method: "POST",
        url: `/api/scan/${code.token}/submit`,
        headers: { "content-type": "application/json" },
        payload: JSON.stringify({
          invoiceType: "digital_normal",
          buyer: { type: "enterprise", name: "对象存储测试有限公司", taxId: makeUscc() },
          email: "s3@example.com",
        }),
      });
      expect(submitted.statusCode).toBe(202);
      const invoice = submitted.json().invoices[0];
      expect(invoice.status).toBe("issued");

      const rows = await app.ctx.database.db
        .select()
        .from(invoiceFiles)
        .where(eq(invoiceFiles.invoiceId, invoice.id));
      expect(rows).toHaveLength(2);
      for (const row of rows) {
        expect(row.content).toBeNull();
        expect(row.storageKey).toMatch(new RegExp(`^s3:http-${kind}/invoices/${org.id}/`));
      }
      const pdfRow = rows.find((r) => r.kind === "pdf")!;
      const pdf = await app.http.inject({ method: "GET", url: invoice.pdfUrl });
      expect(pdf.statusCode).toBe(200);
      expect(pdf.headers["content-type"]).toBe("application/pdf");
      expect(pdf.rawPayload.subarray(0, 5).toString()).toBe("%PDF-");
      expect(pdf.rawPayload.length).toBe(pdfRow.size);
      expect(createHash("sha256").update(pdf.rawPayload).digest("hex")).toBe(pdfRow.sha256);
      const xml = await app.http.inject({ method: "GET", url: invoice.xmlUrl });
      expect(xml.statusCode).toBe(200);
      expect(xml.body).toContain(invoice.number);
    });
  });
}
