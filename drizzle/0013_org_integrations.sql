CREATE TABLE "org_integrations" (
	"org_id" text PRIMARY KEY NOT NULL,
	"wechat_app_id" text,
	"wechat_secret_ciphertext" text,
	"title_provider" text,
	"title_provider_key_ciphertext" text,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "wechat_tokens" (
	"key" text PRIMARY KEY NOT NULL,
	"access_token_ciphertext" text NOT NULL,
	"access_token_expires_at" timestamp with time zone NOT NULL,
	"ticket_ciphertext" text,
	"ticket_expires_at" timestamp with time zone,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "org_integrations" ADD CONSTRAINT "org_integrations_org_id_organizations_id_fk" FOREIGN KEY ("org_id") REFERENCES "public"."organizations"("id") ON DELETE no action ON UPDATE no action;
