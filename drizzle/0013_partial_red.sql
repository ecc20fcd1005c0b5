DROP INDEX "invoices_code_color_seq_key";--> statement-breakpoint
DROP INDEX "invoices_blue_invoice_key";--> statement-breakpoint
ALTER TABLE "invoice_lines" ADD COLUMN "blue_line_no" integer;--> statement-breakpoint
CREATE UNIQUE INDEX "invoices_code_blue_seq_key" ON "invoices" USING btree ("receipt_code_id","seq") WHERE "invoices"."color" = 'blue';--> statement-breakpoint
CREATE INDEX "invoices_blue_invoice_idx" ON "invoices" USING btree ("blue_invoice_id");