-- 10_tokens.sql: what a token is good for, what a seat is, and the queue
-- as hosts copy it. (Files in sql/functions/ are code: applied in name
-- order after the migrations, every time, each replacing what it defines.
-- Every function that names a table pins its search_path; those that write
-- run as their owner (SECURITY DEFINER), since the module's role may not.
-- The two one-line SQL functions below name no table and stay unpinned:
-- a SET clause would stop the planner from inlining them into every row
-- of a seat list.)

-- What a token is good for: 'service' (admitted, unexpired), 'wait',
-- 'expire', or 'invalid' (no such token of that user). One indexed lookup.
-- (PL/pgSQL, not SQL: its plan is kept for the session; an SQL function
-- that cannot be inlined is planned on every call, at half the speed.)
CREATE OR REPLACE FUNCTION ticket_token_status(p_seq bigint, p_user bigint)
RETURNS text LANGUAGE plpgsql STABLE
SET search_path = public, pg_temp AS $$
DECLARE
    v_state text;
    v_expires timestamptz;
BEGIN
    SELECT t.state, t.expires_at INTO v_state, v_expires
      FROM queue_tokens t WHERE t.seq = p_seq AND t.user_id = p_user;
    IF NOT FOUND THEN
        RETURN 'invalid';
    END IF;
    IF v_state = 'service' AND v_expires <= clock_timestamp() THEN
        RETURN 'expire';
    END IF;
    RETURN v_state;
END
$$;

-- Whether a token is live for the money endpoints: 'wait' and 'service'
-- are; the others answer as ticket_token_status() says.
CREATE OR REPLACE FUNCTION ticket_token_live(p_status text) RETURNS boolean
LANGUAGE sql IMMUTABLE AS $$ SELECT p_status IN ('wait', 'service') $$;

-- A seat is free at an instant while it is not booked and has no hold
-- lasting past it. Reads ask about now(); writes about clock_timestamp().
-- (IMMUTABLE and plain SQL, so the planner inlines it.)
CREATE OR REPLACE FUNCTION ticket_seat_is_free(p_booked bigint,
    p_hold_until timestamptz, p_at timestamptz)
RETURNS boolean LANGUAGE sql IMMUTABLE AS $$
    SELECT p_booked IS NULL AND (p_hold_until IS NULL OR p_hold_until <= p_at)
$$;

-- The queue_state row as hosts copy it into their snapshot.
CREATE OR REPLACE FUNCTION ticket_queue_view() RETURNS ticket_queue_view
LANGUAGE sql STABLE
SET search_path = public, pg_temp AS $$
    SELECT s.head, s.waiting, s.admitted_last_minute, s.in_service,
           (extract(epoch FROM s.advanced_at) * 1000000)::bigint, s.gaps
      FROM queue_state s
$$;
