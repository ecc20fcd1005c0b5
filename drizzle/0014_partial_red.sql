DROP INDEX "invoices_blue_invoice_key";--> statement-breakpoint
ALTER TABLE "invoice_lines" ADD COLUMN "blue_line_no" integer;--> statement-breakpoint
CREATE INDEX "invoices_blue_invoice_idx" ON "invoices" USING btree ("blue_invoice_id");
