-- Statistics (src/modules/stats): the rollup also counts what an invoice's receipt code says — its
-- source, its device's number and its creation time (the lead time to the invoice). A change to
-- those after a day was rolled up marks the days of the code's (or the device's codes') invoices
-- issued more than a day ago, as 0003 does for changed invoices. Scans, submits and status changes
-- do not name these columns, so the consumer's paths never fire the triggers.
CREATE FUNCTION stats_mark_code_days() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_TABLE_NAME = 'receipt_codes' THEN
    INSERT INTO stats_dirty_days AS x (org_id, day)
    SELECT DISTINCT i.org_id, ((i.issued_at AT TIME ZONE 'UTC') + interval '8 hours')::date
    FROM invoices i
    WHERE i.receipt_code_id = NEW.id AND i.issued_at < now() - interval '1 day'
    ON CONFLICT (org_id, day) DO UPDATE SET marks = x.marks + 1, marked_at = now()
      WHERE x.xmin <> pg_current_xact_id()::xid;
  ELSE
    INSERT INTO stats_dirty_days AS x (org_id, day)
    SELECT DISTINCT i.org_id, ((i.issued_at AT TIME ZONE 'UTC') + interval '8 hours')::date
    FROM receipt_codes rc JOIN invoices i ON i.receipt_code_id = rc.id
    WHERE rc.org_id = NEW.org_id AND rc.device_id = NEW.id AND i.issued_at < now() - interval '1 day'
    ON CONFLICT (org_id, day) DO UPDATE SET marks = x.marks + 1, marked_at = now()
      WHERE x.xmin <> pg_current_xact_id()::xid;
  END IF;
  RETURN NULL;
END
$$;
--> statement-breakpoint
CREATE TRIGGER receipt_codes_stats_dirty_update
  AFTER UPDATE OF source, device_id, created_at ON receipt_codes
  FOR EACH ROW
  WHEN ((OLD.source, OLD.device_id, OLD.created_at) IS DISTINCT FROM (NEW.source, NEW.device_id, NEW.created_at))
  EXECUTE FUNCTION stats_mark_code_days();
--> statement-breakpoint
CREATE TRIGGER devices_stats_dirty_update
  AFTER UPDATE OF device_no ON devices
  FOR EACH ROW
  WHEN (OLD.device_no IS DISTINCT FROM NEW.device_no)
  EXECUTE FUNCTION stats_mark_code_days();
