CREATE TABLE "stats_daily" (
	"org_id" text NOT NULL,
	"day" date NOT NULL,
	"dimension" text NOT NULL,
	"key" text NOT NULL,
	"invoices" integer NOT NULL,
	"amount" numeric(18, 2) NOT NULL,
	"red_invoices" integer NOT NULL,
	"red_amount" numeric(18, 2) NOT NULL,
	CONSTRAINT "stats_daily_org_id_day_dimension_key_pk" PRIMARY KEY("org_id","day","dimension","key")
);
--> statement-breakpoint
CREATE TABLE "stats_days" (
	"org_id" text NOT NULL,
	"day" date NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "stats_days_org_id_day_pk" PRIMARY KEY("org_id","day")
);
--> statement-breakpoint
ALTER TABLE "stats_daily" ADD CONSTRAINT "stats_daily_org_id_organizations_id_fk" FOREIGN KEY ("org_id") REFERENCES "public"."organizations"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "stats_days" ADD CONSTRAINT "stats_days_org_id_organizations_id_fk" FOREIGN KEY ("org_id") REFERENCES "public"."organizations"("id") ON DELETE no action ON UPDATE no action;