CREATE TABLE "stats_daily_activity" (
	"org_id" text NOT NULL,
	"day" date NOT NULL,
	"kind" text NOT NULL,
	"key" text NOT NULL,
	"count" integer NOT NULL,
	"last_error" text,
	"last_error_at" timestamp with time zone,
	CONSTRAINT "stats_daily_activity_org_id_day_kind_key_pk" PRIMARY KEY("org_id","day","kind","key")
);
--> statement-breakpoint
ALTER TABLE "stats_daily_activity" ADD CONSTRAINT "stats_daily_activity_org_id_organizations_id_fk" FOREIGN KEY ("org_id") REFERENCES "public"."organizations"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "receipt_codes_org_merged_idx" ON "receipt_codes" USING btree ("org_id","created_at") WHERE "receipt_codes"."status" = 'merged';--> statement-breakpoint
-- Statistics (src/modules/stats): the funnel, failures and failing deliveries are rolled up per
-- settled day too (stats_daily_activity), by the China day their row was created. As 0003 does for
-- issued invoices, these triggers mark that (organization, day) in stats_dirty_days when a counted
-- row created more than a day ago is inserted, changed or deleted; the service rebuilds the day.
-- Rows created now (the consumer's and the issuing paths) mark nothing: the WHEN clauses and the
-- statement triggers' filters let them through without writing.
CREATE FUNCTION stats_mark_created_days() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_LEVEL = 'STATEMENT' THEN
    IF TG_TABLE_NAME = 'deliveries' THEN
      INSERT INTO stats_dirty_days AS x (org_id, day)
      SELECT DISTINCT i.org_id, ((c.created_at AT TIME ZONE 'UTC') + interval '8 hours')::date
      FROM changed_rows c JOIN invoices i ON i.id = c.invoice_id
      WHERE c.created_at < now() - interval '1 day'
        AND c.status NOT IN ('sent', 'delivered') AND (c.status = 'failed' OR c.attempts > 0)
      ON CONFLICT (org_id, day) DO UPDATE SET marks = x.marks + 1, marked_at = now()
        WHERE x.xmin <> pg_current_xact_id()::xid;
    ELSIF TG_TABLE_NAME = 'invoices' THEN
      INSERT INTO stats_dirty_days AS x (org_id, day)
      SELECT DISTINCT org_id, ((created_at AT TIME ZONE 'UTC') + interval '8 hours')::date
      FROM changed_rows WHERE created_at < now() - interval '1 day' AND status = 'failed'
      ON CONFLICT (org_id, day) DO UPDATE SET marks = x.marks + 1, marked_at = now()
        WHERE x.xmin <> pg_current_xact_id()::xid;
    ELSE
      INSERT INTO stats_dirty_days AS x (org_id, day)
      SELECT DISTINCT org_id, ((created_at AT TIME ZONE 'UTC') + interval '8 hours')::date
      FROM changed_rows WHERE created_at < now() - interval '1 day'
      ON CONFLICT (org_id, day) DO UPDATE SET marks = x.marks + 1, marked_at = now()
        WHERE x.xmin <> pg_current_xact_id()::xid;
    END IF;
  ELSIF TG_TABLE_NAME = 'deliveries' THEN
    -- The delivery's day before and after the change (its invoice's organization).
    INSERT INTO stats_dirty_days AS x (org_id, day)
    SELECT DISTINCT i.org_id, ((c.created_at AT TIME ZONE 'UTC') + interval '8 hours')::date
    FROM (VALUES (OLD.invoice_id, OLD.created_at), (NEW.invoice_id, NEW.created_at)) c(invoice_id, created_at)
    JOIN invoices i ON i.id = c.invoice_id
    WHERE c.created_at < now() - interval '1 day'
    ON CONFLICT (org_id, day) DO UPDATE SET marks = x.marks + 1, marked_at = now()
      WHERE x.xmin <> pg_current_xact_id()::xid;
  ELSE
    INSERT INTO stats_dirty_days AS x (org_id, day)
    SELECT DISTINCT c.org_id, ((c.created_at AT TIME ZONE 'UTC') + interval '8 hours')::date
    FROM (VALUES (OLD.org_id, OLD.created_at), (NEW.org_id, NEW.created_at)) c(org_id, created_at)
    WHERE c.created_at < now() - interval '1 day'
    ON CONFLICT (org_id, day) DO UPDATE SET marks = x.marks + 1, marked_at = now()
      WHERE x.xmin <> pg_current_xact_id()::xid;
  END IF;
  RETURN NULL;
END
$$;
--> statement-breakpoint
CREATE TRIGGER receipt_codes_stats_created_insert AFTER INSERT ON receipt_codes
  REFERENCING NEW TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION stats_mark_created_days();
--> statement-breakpoint
CREATE TRIGGER receipt_codes_stats_created_delete AFTER DELETE ON receipt_codes
  REFERENCING OLD TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION stats_mark_created_days();
--> statement-breakpoint
-- The funnel's columns: a scan or a status change of an old code marks its day.
CREATE TRIGGER receipt_codes_stats_created_update
  AFTER UPDATE OF org_id, created_at, scan_count, status ON receipt_codes
  FOR EACH ROW
  WHEN ((OLD.created_at < now() - interval '1 day' OR NEW.created_at < now() - interval '1 day')
    AND (OLD.org_id, OLD.created_at, OLD.scan_count, OLD.status)
      IS DISTINCT FROM (NEW.org_id, NEW.created_at, NEW.scan_count, NEW.status))
  EXECUTE FUNCTION stats_mark_created_days();
--> statement-breakpoint
CREATE TRIGGER invoices_stats_created_insert AFTER INSERT ON invoices
  REFERENCING NEW TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION stats_mark_created_days();
--> statement-breakpoint
CREATE TRIGGER invoices_stats_created_delete AFTER DELETE ON invoices
  REFERENCING OLD TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION stats_mark_created_days();
--> statement-breakpoint
-- Failures: only a change to or from 'failed' (or of its reason) of an old invoice counts.
CREATE TRIGGER invoices_stats_created_update
  AFTER UPDATE OF org_id, created_at, status, failure_code, failure_reason ON invoices
  FOR EACH ROW
  WHEN ((OLD.created_at < now() - interval '1 day' OR NEW.created_at < now() - interval '1 day')
    AND (OLD.status = 'failed' OR NEW.status = 'failed')
    AND (OLD.org_id, OLD.created_at, OLD.status, OLD.failure_code, OLD.failure_reason)
      IS DISTINCT FROM (NEW.org_id, NEW.created_at, NEW.status, NEW.failure_code, NEW.failure_reason))
  EXECUTE FUNCTION stats_mark_created_days();
--> statement-breakpoint
CREATE TRIGGER deliveries_stats_created_insert AFTER INSERT ON deliveries
  REFERENCING NEW TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION stats_mark_created_days();
--> statement-breakpoint
CREATE TRIGGER deliveries_stats_created_delete AFTER DELETE ON deliveries
  REFERENCING OLD TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION stats_mark_created_days();
--> statement-breakpoint
-- Failing deliveries: a change of an old delivery that is or was counted (not sent) marks its day.
CREATE TRIGGER deliveries_stats_created_update
  AFTER UPDATE OF invoice_id, created_at, channel, status, attempts, last_error, updated_at ON deliveries
  FOR EACH ROW
  WHEN ((OLD.created_at < now() - interval '1 day' OR NEW.created_at < now() - interval '1 day')
    AND (OLD.status NOT IN ('sent', 'delivered') OR NEW.status NOT IN ('sent', 'delivered'))
    AND (OLD.invoice_id, OLD.created_at, OLD.channel, OLD.status, OLD.attempts, OLD.last_error, OLD.updated_at)
      IS DISTINCT FROM (NEW.invoice_id, NEW.created_at, NEW.channel, NEW.status, NEW.attempts, NEW.last_error, NEW.updated_at))
  EXECUTE FUNCTION stats_mark_created_days();
