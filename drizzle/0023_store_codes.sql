CREATE TABLE "pending_submissions" (
	"id" text PRIMARY KEY NOT NULL,
	"org_id" text NOT NULL,
	"store_code_id" text NOT NULL,
	"token" text NOT NULL,
	"body" jsonb NOT NULL,
	"amount" numeric(18, 2),
	"receipt_no" text,
	"status" text DEFAULT 'waiting' NOT NULL,
	"receipt_code_id" text,
	"expires_at" timestamp with time zone NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "store_codes" (
	"id" text PRIMARY KEY NOT NULL,
	"org_id" text NOT NULL,
	"name" text NOT NULL,
	"token" text NOT NULL,
	"active" boolean DEFAULT true NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "pending_submissions" ADD CONSTRAINT "pending_submissions_org_id_organizations_id_fk" FOREIGN KEY ("org_id") REFERENCES "public"."organizations"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "pending_submissions" ADD CONSTRAINT "pending_submissions_store_code_id_store_codes_id_fk" FOREIGN KEY ("store_code_id") REFERENCES "public"."store_codes"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "pending_submissions" ADD CONSTRAINT "pending_submissions_receipt_code_id_receipt_codes_id_fk" FOREIGN KEY ("receipt_code_id") REFERENCES "public"."receipt_codes"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "store_codes" ADD CONSTRAINT "store_codes_org_id_organizations_id_fk" FOREIGN KEY ("org_id") REFERENCES "public"."organizations"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "pending_submissions_token_key" ON "pending_submissions" USING btree ("token");--> statement-breakpoint
CREATE UNIQUE INDEX "pending_submissions_code_key" ON "pending_submissions" USING btree ("receipt_code_id");--> statement-breakpoint
CREATE INDEX "pending_submissions_org_idx" ON "pending_submissions" USING btree ("org_id","created_at");--> statement-breakpoint
CREATE INDEX "pending_submissions_waiting_idx" ON "pending_submissions" USING btree ("expires_at") WHERE "pending_submissions"."status" = 'waiting';--> statement-breakpoint
CREATE UNIQUE INDEX "store_codes_token_key" ON "store_codes" USING btree ("token");--> statement-breakpoint
CREATE INDEX "store_codes_org_idx" ON "store_codes" USING btree ("org_id","created_at");