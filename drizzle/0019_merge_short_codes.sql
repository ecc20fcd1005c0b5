-- 开票码 (receipt_codes.short_code): 6 characters of the alphabet of src/domain/short-code.ts, drawn
-- from gen_random_uuid() (PostgreSQL's strong random source): 32 bits per character, reduced mod 29
-- (the bias is below 1e-8). The column's default, so existing rows get one each as the column is
-- added; the app draws its own (node:crypto) and draws again on a collision.
CREATE OR REPLACE FUNCTION piaoma_short_code() RETURNS text LANGUAGE sql VOLATILE AS $$
  SELECT string_agg(substr('23456789ABCDEFGHJKMNPQRTUVWXY', 1 + (('x' || substr(r.h, i * 8 + 1, 8))::bit(32)::bigint % 29)::int, 1), '' ORDER BY i)
  FROM (SELECT md5(gen_random_uuid()::text) || md5(gen_random_uuid()::text) AS h) r, generate_series(0, 5) i
$$;
--> statement-breakpoint
CREATE TABLE "submission_codes" (
	"receipt_code_id" text PRIMARY KEY NOT NULL,
	"submission_id" text NOT NULL,
	"position" integer DEFAULT 0 NOT NULL
);
--> statement-breakpoint
ALTER TABLE "receipt_code_configs" ADD COLUMN "merge_enabled" boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE "receipt_code_configs" ADD COLUMN "merge_max_receipts" integer DEFAULT 5 NOT NULL;--> statement-breakpoint
ALTER TABLE "receipt_codes" ADD COLUMN "short_code" text DEFAULT piaoma_short_code() NOT NULL;--> statement-breakpoint
ALTER TABLE "submission_codes" ADD CONSTRAINT "submission_codes_receipt_code_id_receipt_codes_id_fk" FOREIGN KEY ("receipt_code_id") REFERENCES "public"."receipt_codes"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "submission_codes" ADD CONSTRAINT "submission_codes_submission_id_submissions_id_fk" FOREIGN KEY ("submission_id") REFERENCES "public"."submissions"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "submission_codes_submission_idx" ON "submission_codes" USING btree ("submission_id");--> statement-breakpoint
UPDATE "receipt_codes" SET "short_code" = piaoma_short_code() WHERE "id" IN (SELECT "id" FROM (SELECT "id", row_number() OVER (PARTITION BY "short_code" ORDER BY "id") AS n FROM "receipt_codes") d WHERE d.n > 1);--> statement-breakpoint
UPDATE "receipt_codes" SET "short_code" = piaoma_short_code() WHERE "id" IN (SELECT "id" FROM (SELECT "id", row_number() OVER (PARTITION BY "short_code" ORDER BY "id") AS n FROM "receipt_codes") d WHERE d.n > 1);--> statement-breakpoint
UPDATE "receipt_codes" SET "short_code" = piaoma_short_code() WHERE "id" IN (SELECT "id" FROM (SELECT "id", row_number() OVER (PARTITION BY "short_code" ORDER BY "id") AS n FROM "receipt_codes") d WHERE d.n > 1);--> statement-breakpoint
INSERT INTO "submission_codes" ("receipt_code_id", "submission_id", "position") SELECT "receipt_code_id", "id", 0 FROM "submissions";--> statement-breakpoint
CREATE UNIQUE INDEX "receipt_codes_short_code_key" ON "receipt_codes" USING btree ("short_code");