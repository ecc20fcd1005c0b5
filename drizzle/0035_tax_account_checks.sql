-- The account check (tax-accounts.sweep.ts): token / credential refusals in a row, for its
-- exponential backoff (诺诺's token endpoint must not be called often), and when a healthy
-- account was last asked (its 授信额度 read every `creditCheckMinutes`).
ALTER TABLE "tax_bureau_accounts" ADD COLUMN "credit_checked_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "tax_bureau_accounts" ADD COLUMN "check_failures" integer DEFAULT 0 NOT NULL;
