CREATE TABLE "correction_requests" (
	"id" text PRIMARY KEY NOT NULL,
	"org_id" text NOT NULL,
	"receipt_code_id" text NOT NULL,
	"invoice_id" text NOT NULL,
	"reason" text NOT NULL,
	"note" text DEFAULT '' NOT NULL,
	"invoice_type" text NOT NULL,
	"buyer_type" text NOT NULL,
	"buyer_name" text NOT NULL,
	"buyer_tax_id" text DEFAULT '' NOT NULL,
	"buyer_address" text DEFAULT '' NOT NULL,
	"buyer_phone" text DEFAULT '' NOT NULL,
	"buyer_bank_name" text DEFAULT '' NOT NULL,
	"buyer_bank_account" text DEFAULT '' NOT NULL,
	"email" text,
	"mobile" text,
	"status" text DEFAULT 'pending' NOT NULL,
	"decided_by" text,
	"decided_at" timestamp with time zone,
	"refusal_reason" text,
	"red_invoice_id" text,
	"new_invoice_id" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "refunds" (
	"id" text PRIMARY KEY NOT NULL,
	"org_id" text NOT NULL,
	"receipt_code_id" text NOT NULL,
	"refund_no" text NOT NULL,
	"request_hash" text NOT NULL,
	"reason" text NOT NULL,
	"lines" jsonb,
	"amount" text,
	"status" text NOT NULL,
	"total_amount" numeric(18, 2),
	"pieces" jsonb,
	"lines_before" jsonb,
	"blue_invoice_id" text,
	"red_invoice_id" text,
	"note" text DEFAULT '' NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
DROP INDEX "invoices_code_color_seq_key";--> statement-breakpoint
ALTER TABLE "invoices" ADD COLUMN "reissue_of_invoice_id" text;--> statement-breakpoint
ALTER TABLE "receipt_code_configs" ADD COLUMN "correction_auto_approve_days" integer;--> statement-breakpoint
ALTER TABLE "correction_requests" ADD CONSTRAINT "correction_requests_org_id_organizations_id_fk" FOREIGN KEY ("org_id") REFERENCES "public"."organizations"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "correction_requests" ADD CONSTRAINT "correction_requests_receipt_code_id_receipt_codes_id_fk" FOREIGN KEY ("receipt_code_id") REFERENCES "public"."receipt_codes"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "correction_requests" ADD CONSTRAINT "correction_requests_invoice_id_invoices_id_fk" FOREIGN KEY ("invoice_id") REFERENCES "public"."invoices"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "refunds" ADD CONSTRAINT "refunds_org_id_organizations_id_fk" FOREIGN KEY ("org_id") REFERENCES "public"."organizations"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "refunds" ADD CONSTRAINT "refunds_receipt_code_id_receipt_codes_id_fk" FOREIGN KEY ("receipt_code_id") REFERENCES "public"."receipt_codes"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "refunds" ADD CONSTRAINT "refunds_blue_invoice_id_invoices_id_fk" FOREIGN KEY ("blue_invoice_id") REFERENCES "public"."invoices"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "refunds" ADD CONSTRAINT "refunds_red_invoice_id_invoices_id_fk" FOREIGN KEY ("red_invoice_id") REFERENCES "public"."invoices"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "correction_requests_pending_key" ON "correction_requests" USING btree ("invoice_id") WHERE "correction_requests"."status" = 'pending';--> statement-breakpoint
CREATE INDEX "correction_requests_org_idx" ON "correction_requests" USING btree ("org_id","status","created_at");--> statement-breakpoint
CREATE UNIQUE INDEX "refunds_org_refund_no_key" ON "refunds" USING btree ("org_id","refund_no");--> statement-breakpoint
CREATE INDEX "refunds_code_idx" ON "refunds" USING btree ("receipt_code_id","created_at");--> statement-breakpoint
CREATE INDEX "refunds_awaiting_idx" ON "refunds" USING btree ("created_at") WHERE "refunds"."status" = 'awaiting_invoice';--> statement-breakpoint
CREATE UNIQUE INDEX "invoices_reissue_of_key" ON "invoices" USING btree ("reissue_of_invoice_id");--> statement-breakpoint
CREATE UNIQUE INDEX "invoices_code_color_seq_key" ON "invoices" USING btree ("receipt_code_id","color","seq") WHERE "invoices"."color" = 'blue' and "invoices"."reissue_of_invoice_id" is null;