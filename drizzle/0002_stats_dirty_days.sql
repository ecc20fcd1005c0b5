CREATE TABLE "stats_dirty_days" (
	"org_id" text NOT NULL,
	"day" date NOT NULL,
	"marks" integer DEFAULT 1 NOT NULL,
	"marked_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "stats_dirty_days_org_id_day_pk" PRIMARY KEY("org_id","day")
);
--> statement-breakpoint
ALTER TABLE "stats_dirty_days" ADD CONSTRAINT "stats_dirty_days_org_id_organizations_id_fk" FOREIGN KEY ("org_id") REFERENCES "public"."organizations"("id") ON DELETE no action ON UPDATE no action;