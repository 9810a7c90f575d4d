-- The stores run drizzle's SQLite query builder on both databases (src/db/postgres.ts), and it
-- writes NULL for an omitted autoincrement id (SQLite's way of asking for the next one). PostgreSQL
-- refuses NULL in an identity column, so a trigger turns it into the column's next value. Every
-- table with an identity column has one (test/db-dialects.test.ts checks).
CREATE FUNCTION customs_identity_default() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.id IS NULL THEN
    NEW.id := nextval(pg_get_serial_sequence(TG_TABLE_NAME, 'id'));
  END IF;
  RETURN NEW;
END $$;--> statement-breakpoint
CREATE TRIGGER audit_log_identity_default BEFORE INSERT ON "audit_log" FOR EACH ROW EXECUTE FUNCTION customs_identity_default();--> statement-breakpoint
CREATE TRIGGER image_signatures_identity_default BEFORE INSERT ON "image_signatures" FOR EACH ROW EXECUTE FUNCTION customs_identity_default();--> statement-breakpoint
CREATE TRIGGER policy_versions_identity_default BEFORE INSERT ON "policy_versions" FOR EACH ROW EXECUTE FUNCTION customs_identity_default();--> statement-breakpoint
CREATE TRIGGER quarantine_actions_identity_default BEFORE INSERT ON "quarantine_actions" FOR EACH ROW EXECUTE FUNCTION customs_identity_default();--> statement-breakpoint
CREATE TRIGGER vex_documents_identity_default BEFORE INSERT ON "vex_documents" FOR EACH ROW EXECUTE FUNCTION customs_identity_default();--> statement-breakpoint
CREATE TRIGGER vuln_import_identity_default BEFORE INSERT ON "vuln_import" FOR EACH ROW EXECUTE FUNCTION customs_identity_default();--> statement-breakpoint
CREATE TRIGGER webhook_events_identity_default BEFORE INSERT ON "webhook_events" FOR EACH ROW EXECUTE FUNCTION customs_identity_default();
