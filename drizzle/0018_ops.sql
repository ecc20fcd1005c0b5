CREATE TABLE "exception_settings" (
	"org_id" text PRIMARY KEY NOT NULL,
	"stuck_minutes" integer DEFAULT 30 NOT NULL,
	"expiring_days" integer DEFAULT 3 NOT NULL,
	"credit_threshold" numeric(18, 2),
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "review_rules" (
	"id" text PRIMARY KEY NOT NULL,
	"org_id" text NOT NULL,
	"source" text,
	"invoice_type" text,
	"min_amount" numeric(18, 2),
	"buyer_type" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "tax_bureau_accounts" ADD COLUMN "credit_available" numeric(18, 2);--> statement-breakpoint
ALTER TABLE "tax_bureau_accounts" ADD COLUMN "credit_reported_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "exception_settings" ADD CONSTRAINT "exception_settings_org_id_organizations_id_fk" FOREIGN KEY ("org_id") REFERENCES "public"."organizations"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "review_rules" ADD CONSTRAINT "review_rules_org_id_organizations_id_fk" FOREIGN KEY ("org_id") REFERENCES "public"."organizations"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "review_rules_org_idx" ON "review_rules" USING btree ("org_id");--> statement-breakpoint
CREATE INDEX "deliveries_failed_idx" ON "deliveries" USING btree ("created_at") WHERE "deliveries"."status" = 'failed';--> statement-breakpoint
CREATE INDEX "invoices_org_attention_idx" ON "invoices" USING btree ("org_id","status","created_at") WHERE "invoices"."status" in ('pending', 'issuing', 'failed', 'confirmation_pending', 'awaiting_review');--> statement-breakpoint
CREATE INDEX "receipt_codes_org_active_expiry_idx" ON "receipt_codes" USING btree ("org_id","expires_at") WHERE "receipt_codes"."status" = 'active';