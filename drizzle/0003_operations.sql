CREATE INDEX "deliveries_unsent_idx" ON "deliveries" USING btree ("created_at") WHERE "deliveries"."status" <> 'sent';--> statement-breakpoint
CREATE INDEX "invoices_org_failed_idx" ON "invoices" USING btree ("org_id","created_at") WHERE "invoices"."status" = 'failed';--> statement-breakpoint
CREATE INDEX "webhook_events_invoice_idx" ON "webhook_events" USING btree ("invoice_id");