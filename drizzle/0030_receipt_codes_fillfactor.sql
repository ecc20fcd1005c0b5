-- A scan's first load (src/modules/scan/scan.queries.ts, SCAN_VIEW_COUNTING) updates its code's row:
-- scan_count and first_scanned_at, which no index covers, so the update can be HOT (no new entry in
-- any of receipt_codes' seven indexes) — but only if the row's page has room for the new version.
-- At the default fillfactor (100) inserts fill each page, so a code's first scan, shortly after the
-- codes around it were created, found no room: its new version went to another page and into all
-- seven indexes. 1. Pages are now filled to 70%, leaving room for a few new versions per page
-- (pruning reclaims them). Measured with pgbench on 20 000 fresh codes scanned once each, 20 clients:
-- HOT 25% at 100, 36% at 90, 55% at 80, 64% at 70, and the table ends about as large (the moves of
-- non-HOT updates grow it too). The benchmark's repeated scans of 500 codes were already ~90% HOT
-- (after each row's first move); this is for the scans of real life, mostly one or two per code.
--
-- Existing rows are not moved: the setting applies to pages filled from now on (inserts, and the new
-- versions of non-HOT updates), so a full page stays full until its rows move or are deleted. An
-- install that wants the room at once rewrites the table (VACUUM FULL receipt_codes, or pg_repack,
-- which locks it only briefly); not done here, because VACUUM FULL locks the table while it runs.
ALTER TABLE "receipt_codes" SET (fillfactor = 70);
--> statement-breakpoint
-- 2. The trigger marking settled days for the statistics (0028) named scan_count with the funnel's
-- other columns, so every first load evaluated its large WHEN clause, which PostgreSQL rebuilds from
-- its stored form on each execution of the statement (pgbench A/B of the first load's statement,
-- under load: 10–20% of PostgreSQL's CPU for it). The scan now meets a trigger of its own with the
-- smallest condition, which costs nothing measurable: an old code's scan marks its created day, as
-- before (the function marks the days of OLD and NEW, here the same one). The other columns keep
-- their trigger and condition, which an update of scan_count alone does not evaluate.
DROP TRIGGER receipt_codes_stats_created_update ON receipt_codes;
--> statement-breakpoint
CREATE TRIGGER receipt_codes_stats_created_update
  AFTER UPDATE OF org_id, created_at, status ON receipt_codes
  FOR EACH ROW
  WHEN ((OLD.created_at < now() - interval '1 day' OR NEW.created_at < now() - interval '1 day')
    AND (OLD.org_id, OLD.created_at, OLD.status)
      IS DISTINCT FROM (NEW.org_id, NEW.created_at, NEW.status))
  EXECUTE FUNCTION stats_mark_created_days();
--> statement-breakpoint
CREATE TRIGGER receipt_codes_stats_scanned
  AFTER UPDATE OF scan_count ON receipt_codes
  FOR EACH ROW
  WHEN (OLD.created_at < now() - interval '1 day')
  EXECUTE FUNCTION stats_mark_created_days();
