-- The consumer's scan (src/modules/scan/scan.queries.ts, SCAN_VIEW) returned a code's lines by
-- aggregating receipt_code_lines into JSON on every request: a third of the statement's time in
-- PostgreSQL (pgbench, 2 clients: 138 µs of CPU per scan with the aggregate, 102 µs reading a column).
-- The lines change rarely (created with the code, replaced by an edit or a refund) and are read on
-- every scan, so the JSON is now kept on the code, in the same transaction as any change of its
-- lines, by statement-level triggers on receipt_code_lines: whichever code writes lines (the
-- repositories, a refund, raw SQL) keeps it right. The object is the one the scan's own aggregate
-- builds (recordObjectSql over the scan's LINE columns); scan.counting.test.ts compares the two for
-- every kind of line, so a column added to one and not the other fails there.
--
-- Existing codes are not rewritten (a full-table update would lock and bloat a large table): their
-- view_lines stays null until their lines change, and the scan aggregates for them as before.
ALTER TABLE "receipt_codes" ADD COLUMN "view_lines" json;
--> statement-breakpoint
CREATE FUNCTION receipt_code_view_lines() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE receipt_codes rc SET view_lines = (
    SELECT coalesce(json_agg(json_build_object(
        'kind', l."kind", 'name', l."name", 'shortName', l."short_name", 'taxCode', l."tax_code",
        'taxRate', l."tax_rate"::text, 'zeroRateKind', l."zero_rate_kind", 'spec', l."spec",
        'unit', l."unit", 'quantity', l."quantity"::text, 'unitPrice', l."unit_price"::text,
        'amount', l."amount"::text) ORDER BY l.position), '[]'::json)
      FROM receipt_code_lines l WHERE l.receipt_code_id = rc.id)
   WHERE rc.id IN (SELECT receipt_code_id FROM changed_lines);
  RETURN NULL;
END
$$;
--> statement-breakpoint
CREATE TRIGGER receipt_code_lines_view_insert AFTER INSERT ON receipt_code_lines
  REFERENCING NEW TABLE AS changed_lines FOR EACH STATEMENT EXECUTE FUNCTION receipt_code_view_lines();
--> statement-breakpoint
CREATE TRIGGER receipt_code_lines_view_delete AFTER DELETE ON receipt_code_lines
  REFERENCING OLD TABLE AS changed_lines FOR EACH STATEMENT EXECUTE FUNCTION receipt_code_view_lines();
--> statement-breakpoint
-- An update is seen from both sides, so a line moved to another code (nothing does that today)
-- changes both codes.
CREATE TRIGGER receipt_code_lines_view_update_old AFTER UPDATE ON receipt_code_lines
  REFERENCING OLD TABLE AS changed_lines FOR EACH STATEMENT EXECUTE FUNCTION receipt_code_view_lines();
--> statement-breakpoint
CREATE TRIGGER receipt_code_lines_view_update_new AFTER UPDATE ON receipt_code_lines
  REFERENCING NEW TABLE AS changed_lines FOR EACH STATEMENT EXECUTE FUNCTION receipt_code_view_lines();
