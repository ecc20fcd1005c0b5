CREATE SEQUENCE "public"."sandbox_red_confirmation_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1;--> statement-breakpoint
CREATE TABLE "red_confirmations" (
	"id" text PRIMARY KEY NOT NULL,
	"org_id" text NOT NULL,
	"red_invoice_id" text NOT NULL,
	"blue_invoice_id" text NOT NULL,
	"number" text,
	"status" text DEFAULT 'requested' NOT NULL,
	"requested_by" text NOT NULL,
	"reason" text NOT NULL,
	"amount_excluding_tax" numeric(18, 2) NOT NULL,
	"tax_amount" numeric(18, 2) NOT NULL,
	"total_amount" numeric(18, 2) NOT NULL,
	"expires_at" timestamp with time zone,
	"decided_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "sandbox_red_confirmations" (
	"serial" text PRIMARY KEY NOT NULL,
	"number" text NOT NULL,
	"blue_number" text NOT NULL,
	"status" text NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	"expires_at" timestamp with time zone,
	"decided_at" timestamp with time zone,
	CONSTRAINT "sandbox_red_confirmations_number_key" UNIQUE("number")
);
--> statement-breakpoint
DROP INDEX "invoices_code_color_seq_key";--> statement-breakpoint
DROP INDEX "invoices_blue_invoice_key";--> statement-breakpoint
ALTER TABLE "red_confirmations" ADD CONSTRAINT "red_confirmations_org_id_organizations_id_fk" FOREIGN KEY ("org_id") REFERENCES "public"."organizations"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "red_confirmations" ADD CONSTRAINT "red_confirmations_red_invoice_id_invoices_id_fk" FOREIGN KEY ("red_invoice_id") REFERENCES "public"."invoices"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "red_confirmations" ADD CONSTRAINT "red_confirmations_blue_invoice_id_invoices_id_fk" FOREIGN KEY ("blue_invoice_id") REFERENCES "public"."invoices"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "red_confirmations_red_invoice_key" ON "red_confirmations" USING btree ("red_invoice_id");--> statement-breakpoint
CREATE UNIQUE INDEX "red_confirmations_number_key" ON "red_confirmations" USING btree ("number");--> statement-breakpoint
CREATE INDEX "red_confirmations_blue_invoice_idx" ON "red_confirmations" USING btree ("blue_invoice_id");--> statement-breakpoint
CREATE INDEX "red_confirmations_expiry_idx" ON "red_confirmations" USING btree ("expires_at") WHERE "red_confirmations"."status" = 'pending';--> statement-breakpoint
CREATE UNIQUE INDEX "invoices_code_color_seq_key" ON "invoices" USING btree ("receipt_code_id","color","seq") WHERE "invoices"."color" = 'blue';--> statement-breakpoint
CREATE UNIQUE INDEX "invoices_blue_invoice_key" ON "invoices" USING btree ("blue_invoice_id") WHERE "invoices"."status" <> 'failed';--> statement-breakpoint
-- Every red invoice has its 确认单: the red invoices from before get one, its state read from theirs
-- (the number, never known to Piaoma then, stays empty).
INSERT INTO "red_confirmations" ("id", "org_id", "red_invoice_id", "blue_invoice_id", "status", "requested_by", "reason", "amount_excluding_tax", "tax_amount", "total_amount", "expires_at", "decided_at", "created_at", "updated_at")
SELECT 'rcf_' || substr("id", 5), "org_id", "id", "blue_invoice_id",
  CASE "status" WHEN 'issued' THEN 'no_confirmation_needed' WHEN 'confirmation_pending' THEN 'pending' WHEN 'failed' THEN 'failed' ELSE 'requested' END,
  'system:migration', coalesce("reverse_reason", ''), "amount_excluding_tax", "tax_amount", "total_amount",
  CASE WHEN "status" = 'confirmation_pending' THEN "updated_at" + interval '72 hours' END,
  CASE WHEN "status" IN ('issued', 'failed') THEN "updated_at" END,
  "created_at", "updated_at"
FROM "invoices" WHERE "color" = 'red' AND "blue_invoice_id" IS NOT NULL;
