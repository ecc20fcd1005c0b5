-- Statistics (src/modules/stats): a settled day's rollup (stats_daily) must notice invoices that
-- change after it was counted. These triggers mark the (organization, China day) of every
-- inserted, changed or deleted invoice whose issued_at is more than a day old in stats_dirty_days;
-- the stats service rebuilds those days. The day margin is safe: a day is settled only once it
-- ended two days ago. Invoices issued now mark nothing, so the issuing path does not pay:
-- - inserts and deletes: per statement, over the transition table (an import of a million rows
--   marks each of its days once);
-- - updates: per row, only when the WHEN clause finds an old issue time and a changed counted
--   column (the issuing path's updates never call the function).
-- A transaction bumps a day's `marks` once (`xmin` is then its own): what matters to the service
-- is that a change committed after it read the marks has bumped them.
CREATE FUNCTION stats_mark_dirty_days() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    INSERT INTO stats_dirty_days AS x (org_id, day)
    SELECT DISTINCT org_id, ((issued_at AT TIME ZONE 'UTC') + interval '8 hours')::date
    FROM new_rows WHERE issued_at < now() - interval '1 day'
    ON CONFLICT (org_id, day) DO UPDATE SET marks = x.marks + 1, marked_at = now()
      WHERE x.xmin <> pg_current_xact_id()::xid;
  ELSIF TG_OP = 'DELETE' THEN
    INSERT INTO stats_dirty_days AS x (org_id, day)
    SELECT DISTINCT org_id, ((issued_at AT TIME ZONE 'UTC') + interval '8 hours')::date
    FROM old_rows WHERE issued_at < now() - interval '1 day'
    ON CONFLICT (org_id, day) DO UPDATE SET marks = x.marks + 1, marked_at = now()
      WHERE x.xmin <> pg_current_xact_id()::xid;
  ELSE
    -- The invoice's day before and after the change.
    INSERT INTO stats_dirty_days AS x (org_id, day)
    SELECT DISTINCT c.org_id, ((c.issued_at AT TIME ZONE 'UTC') + interval '8 hours')::date
    FROM (VALUES (OLD.org_id, OLD.issued_at), (NEW.org_id, NEW.issued_at)) c(org_id, issued_at)
    WHERE c.issued_at < now() - interval '1 day'
    ON CONFLICT (org_id, day) DO UPDATE SET marks = x.marks + 1, marked_at = now()
      WHERE x.xmin <> pg_current_xact_id()::xid;
  END IF;
  RETURN NULL;
END
$$;
--> statement-breakpoint
CREATE TRIGGER invoices_stats_dirty_insert AFTER INSERT ON invoices
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION stats_mark_dirty_days();
--> statement-breakpoint
CREATE TRIGGER invoices_stats_dirty_delete AFTER DELETE ON invoices
  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION stats_mark_dirty_days();
--> statement-breakpoint
-- The columns the rollup counts (stats.queries.ts); others (status, attempts, e-mail…) never fire it.
CREATE TRIGGER invoices_stats_dirty_update
  AFTER UPDATE OF org_id, issued_at, color, invoice_type, buyer_type, total_amount, receipt_code_id ON invoices
  FOR EACH ROW
  WHEN ((OLD.issued_at < now() - interval '1 day' OR NEW.issued_at < now() - interval '1 day')
    AND (OLD.org_id, OLD.issued_at, OLD.color, OLD.invoice_type, OLD.buyer_type, OLD.total_amount, OLD.receipt_code_id)
      IS DISTINCT FROM
      (NEW.org_id, NEW.issued_at, NEW.color, NEW.invoice_type, NEW.buyer_type, NEW.total_amount, NEW.receipt_code_id))
  EXECUTE FUNCTION stats_mark_dirty_days();
