ALTER TABLE "tax_bureau_accounts" ADD COLUMN "status_problem" text;--> statement-breakpoint
ALTER TABLE "tax_bureau_accounts" ADD COLUMN "status_code" text;--> statement-breakpoint
ALTER TABLE "tax_bureau_accounts" ADD COLUMN "status_message" text;--> statement-breakpoint
ALTER TABLE "tax_bureau_accounts" ADD COLUMN "status_action" text;--> statement-breakpoint
ALTER TABLE "tax_bureau_accounts" ADD COLUMN "status_changed_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "tax_bureau_accounts" ADD COLUMN "next_attempt_at" timestamp with time zone;--> statement-breakpoint
CREATE INDEX "tax_bureau_accounts_next_attempt_idx" ON "tax_bureau_accounts" USING btree ("next_attempt_at") WHERE "tax_bureau_accounts"."status_problem" is not null;