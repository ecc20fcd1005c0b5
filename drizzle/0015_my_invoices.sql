CREATE TABLE "my_login_codes" (
	"id" text PRIMARY KEY NOT NULL,
	"channel" text NOT NULL,
	"contact" text NOT NULL,
	"code_hash" text NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	"expires_at" timestamp with time zone NOT NULL,
	"used_at" timestamp with time zone,
	"ip" text DEFAULT '' NOT NULL,
	"created_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "my_sessions" (
	"id" text PRIMARY KEY NOT NULL,
	"token_hash" text NOT NULL,
	"channel" text NOT NULL,
	"contact" text NOT NULL,
	"expires_at" timestamp with time zone NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "organizations" ADD COLUMN "my_invoices_listed" boolean DEFAULT true NOT NULL;--> statement-breakpoint
CREATE INDEX "my_login_codes_contact_idx" ON "my_login_codes" USING btree ("contact","created_at");--> statement-breakpoint
CREATE INDEX "my_login_codes_ip_idx" ON "my_login_codes" USING btree ("ip","created_at");--> statement-breakpoint
CREATE UNIQUE INDEX "my_sessions_token_hash_key" ON "my_sessions" USING btree ("token_hash");--> statement-breakpoint
CREATE INDEX "my_sessions_contact_idx" ON "my_sessions" USING btree ("contact");--> statement-breakpoint
CREATE INDEX "deliveries_recipient_idx" ON "deliveries" USING btree (lower("recipient"));