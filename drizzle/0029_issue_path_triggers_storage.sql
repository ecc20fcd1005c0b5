-- The sandbox issue path (issue 23 item 1), PostgreSQL's share per invoice, measured with
-- pg_stat_statements and the backends' CPU (`npm run bench -- issue-statements`):
-- 1. Issued files: a PDF is already compressed (deflate streams), so PostgreSQL's default pglz
--    went through each ~40 KB PDF before storing it as it was — about 0.4 ms of CPU per invoice.
--    EXTERNAL stores the content out of line without trying to compress it (an XML of ~3 KB now
--    takes ~3 KB instead of ~1 KB). Rows stored before keep their form; reading is unchanged.
ALTER TABLE "invoice_files" ALTER COLUMN "content" SET STORAGE EXTERNAL;
--> statement-breakpoint
-- 2. Marking settled days for the statistics (0003, 0028): the INSERT triggers were per statement
--    with a transition table, which every insert of the issuing and consumer paths (an invoice, a
--    delivery, a receipt code) paid for — the table filled, the function called, an INSERT run —
--    only to find the new row not old. They are now per row with a WHEN clause on the row's age,
--    so a new row never calls anything; an old row (an import by SQL, a late correction) marks its
--    day as before. A bulk import of old rows pays one call per row instead of one per statement.
--    The DELETE triggers stay per statement (no hot path deletes, and purges are bulk).
CREATE OR REPLACE FUNCTION stats_mark_dirty_days() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_LEVEL = 'ROW' THEN
    -- The invoice's day before and after the change (OLD is null on an insert).
    INSERT INTO stats_dirty_days AS x (org_id, day)
    SELECT DISTINCT c.org_id, ((c.issued_at AT TIME ZONE 'UTC') + interval '8 hours')::date
    FROM (VALUES (OLD.org_id, OLD.issued_at), (NEW.org_id, NEW.issued_at)) c(org_id, issued_at)
    WHERE c.issued_at < now() - interval '1 day'
    ON CONFLICT (org_id, day) DO UPDATE SET marks = x.marks + 1, marked_at = now()
      WHERE x.xmin <> pg_current_xact_id()::xid;
  ELSIF TG_OP = 'DELETE' THEN
    INSERT INTO stats_dirty_days AS x (org_id, day)
    SELECT DISTINCT org_id, ((issued_at AT TIME ZONE 'UTC') + interval '8 hours')::date
    FROM old_rows WHERE issued_at < now() - interval '1 day'
    ON CONFLICT (org_id, day) DO UPDATE SET marks = x.marks + 1, marked_at = now()
      WHERE x.xmin <> pg_current_xact_id()::xid;
  END IF;
  RETURN NULL;
END
$$;
--> statement-breakpoint
DROP TRIGGER invoices_stats_dirty_insert ON invoices;
--> statement-breakpoint
CREATE TRIGGER invoices_stats_dirty_insert AFTER INSERT ON invoices
  FOR EACH ROW WHEN (NEW.issued_at < now() - interval '1 day')
  EXECUTE FUNCTION stats_mark_dirty_days();
--> statement-breakpoint
-- stats_mark_created_days (0028) already handles a row-level call (OLD is null on an insert); the
-- WHEN clauses carry the filters its statement branches applied to the transition table.
DROP TRIGGER invoices_stats_created_insert ON invoices;
--> statement-breakpoint
CREATE TRIGGER invoices_stats_created_insert AFTER INSERT ON invoices
  FOR EACH ROW WHEN (NEW.created_at < now() - interval '1 day' AND NEW.status = 'failed')
  EXECUTE FUNCTION stats_mark_created_days();
--> statement-breakpoint
DROP TRIGGER deliveries_stats_created_insert ON deliveries;
--> statement-breakpoint
CREATE TRIGGER deliveries_stats_created_insert AFTER INSERT ON deliveries
  FOR EACH ROW
  WHEN (NEW.created_at < now() - interval '1 day' AND NEW.status NOT IN ('sent', 'delivered')
    AND (NEW.status = 'failed' OR NEW.attempts > 0))
  EXECUTE FUNCTION stats_mark_created_days();
--> statement-breakpoint
DROP TRIGGER receipt_codes_stats_created_insert ON receipt_codes;
--> statement-breakpoint
CREATE TRIGGER receipt_codes_stats_created_insert AFTER INSERT ON receipt_codes
  FOR EACH ROW WHEN (NEW.created_at < now() - interval '1 day')
  EXECUTE FUNCTION stats_mark_created_days();
