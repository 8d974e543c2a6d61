-- grants.sql: what the module's role may do (psql -v runtime=ROLE, as the
-- owner, after the functions; applied every time, like them). It reads
-- what the lookups, the poll and the history read (and which migrations
-- the database has, for /health?db=1), and runs the
-- functions; every write goes through a function that runs as the owner
-- (SECURITY DEFINER, search_path pinned). Nothing else: no INSERT, UPDATE
-- or DELETE of its own, no other function.

SELECT set_config('mod_ticket.runtime', :'runtime', false);

DO $$
DECLARE
    r text := current_setting('mod_ticket.runtime');
    f regprocedure;
    fname name;
    t regclass;
BEGIN
    -- what an earlier version granted goes first (only what we own)
    FOR t IN SELECT c.oid::regclass FROM pg_class c
               JOIN pg_namespace n ON n.oid = c.relnamespace
              WHERE n.nspname = 'public' AND c.relkind IN ('r', 'v', 'S')
                AND c.relowner = (SELECT oid FROM pg_roles WHERE rolname = current_user)
    LOOP
        EXECUTE format('REVOKE ALL ON %s FROM %I', t, r);
    END LOOP;
    EXECUTE format('GRANT USAGE ON SCHEMA public TO %I', r);
    EXECUTE format('GRANT SELECT ON concerts, schedules, seats, users, accounts,'
                   ' ledger, queue_tokens, queue_state, schema_migrations,'
                   ' seat_free_now TO %I', r);
    -- PUBLIC calls none of ours; the module runs the ticket_ functions,
    -- and the catalogue's loader (catalogue_) and the seats' counts'
    -- upkeep (seat_counts_) stay the owner's alone
    FOR f, fname IN SELECT p.oid::regprocedure, p.proname FROM pg_proc p
               JOIN pg_namespace n ON n.oid = p.pronamespace
              WHERE n.nspname = 'public'
                AND (p.proname LIKE 'ticket\_%' OR p.proname LIKE 'catalogue\_%'
                     OR p.proname LIKE 'seat\_counts\_%')
                AND p.proowner = (SELECT oid FROM pg_roles WHERE rolname = current_user)
    LOOP
        EXECUTE format('REVOKE ALL ON FUNCTION %s FROM PUBLIC', f);
        IF fname LIKE 'ticket\_%' THEN
            EXECUTE format('GRANT EXECUTE ON FUNCTION %s TO %I', f, r);
        END IF;
    END LOOP;
END
$$;
