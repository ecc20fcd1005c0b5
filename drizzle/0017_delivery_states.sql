CREATE TABLE "wechat_invoice_cards" (
	"id" text PRIMARY KEY NOT NULL,
	"invoice_id" text NOT NULL,
	"org_id" text NOT NULL,
	"order_id" text NOT NULL,
	"status" text NOT NULL,
	"auth_url" text,
	"s_media_id" text,
	"card_code" text,
	"openid" text,
	"error" text,
	"inserted_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "deliveries" ADD COLUMN "mail_token" text;--> statement-breakpoint
ALTER TABLE "deliveries" ADD COLUMN "bounced_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "org_integrations" ADD COLUMN "wechat_invoice_s_pappid" text;--> statement-breakpoint
ALTER TABLE "org_integrations" ADD COLUMN "wechat_invoice_card_id" text;--> statement-breakpoint
ALTER TABLE "organizations" ADD COLUMN "contact_email" text;--> statement-breakpoint
ALTER TABLE "wechat_invoice_cards" ADD CONSTRAINT "wechat_invoice_cards_org_id_organizations_id_fk" FOREIGN KEY ("org_id") REFERENCES "public"."organizations"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "wechat_invoice_cards_invoice_key" ON "wechat_invoice_cards" USING btree ("invoice_id");--> statement-breakpoint
CREATE UNIQUE INDEX "wechat_invoice_cards_order_key" ON "wechat_invoice_cards" USING btree ("order_id");--> statement-breakpoint
CREATE INDEX "deliveries_mail_token_idx" ON "deliveries" USING btree ("mail_token") WHERE "deliveries"."mail_token" is not null;