-- The consumer's scan keeps what it shows of an organization (seller, 开票设置, title sources) in each
-- server process (src/modules/scan/org-views.ts) instead of joining organizations,
-- receipt_code_configs and org_integrations on every scan. These triggers tell every process about
-- a change, by whoever makes it (the console, a command, raw SQL): NOTIFY piaoma_org_view with the
-- organization's id, delivered when the transaction commits, and only then. The tables are small
-- and rarely written; one notification per changed row.
CREATE FUNCTION notify_org_view() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('piaoma_org_view',
    (CASE WHEN TG_OP = 'DELETE' THEN to_jsonb(OLD) ELSE to_jsonb(NEW) END) ->> TG_ARGV[0]);
  -- An update that moves a row to another organization (nothing does) tells the old one too.
  IF TG_OP = 'UPDATE' AND (to_jsonb(OLD) ->> TG_ARGV[0]) IS DISTINCT FROM (to_jsonb(NEW) ->> TG_ARGV[0]) THEN
    PERFORM pg_notify('piaoma_org_view', to_jsonb(OLD) ->> TG_ARGV[0]);
  END IF;
  RETURN NULL;
END
$$;
--> statement-breakpoint
CREATE TRIGGER organizations_org_view AFTER INSERT OR UPDATE OR DELETE ON organizations
  FOR EACH ROW EXECUTE FUNCTION notify_org_view('id');
--> statement-breakpoint
CREATE TRIGGER receipt_code_configs_org_view AFTER INSERT OR UPDATE OR DELETE ON receipt_code_configs
  FOR EACH ROW EXECUTE FUNCTION notify_org_view('org_id');
--> statement-breakpoint
CREATE TRIGGER org_integrations_org_view AFTER INSERT OR UPDATE OR DELETE ON org_integrations
  FOR EACH ROW EXECUTE FUNCTION notify_org_view('org_id');
