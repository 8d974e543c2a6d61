-- 10_tokens.sql: what a token is good for, what a seat is, and the queue
-- as hosts copy it. (Files in sql/functions/ are code: applied in name
-- order after the migrations, every time, each replacing what it defines.
-- Every function that writes runs as its owner (SECURITY DEFINER: the
-- module's role may not write) with its search_path pinned by a SET
-- clause. The readers below run as their caller, on every lookup and
-- service poll, where a SET clause costs its save and restore on each
-- call (measured: a service poll at half the speed): they name their
-- tables with the schema instead, which pins them as well, and the two
-- one-line SQL functions name none, so that the planner inlines them.)

-- What a token is good for: 'service' (admitted, unexpired), 'wait',
-- 'expire', or 'invalid' (no such token of that user). One indexed lookup.
-- (PL/pgSQL, not SQL: its plan is kept for the session; an SQL function
-- that cannot be inlined is planned on every call, at half the speed.)
CREATE OR REPLACE FUNCTION ticket_token_status(p_seq bigint, p_user bigint)
RETURNS text LANGUAGE plpgsql STABLE AS $$
DECLARE
    v_state text;
    v_expires timestamptz;
BEGIN
    SELECT t.state, t.expires_at INTO v_state, v_expires
      FROM public.queue_tokens t WHERE t.seq = p_seq AND t.user_id = p_user;
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

-- The queue_state row as hosts copy it into their snapshot. (PL/pgSQL
-- for the same reason as ticket_token_status: a service poll calls it.)
CREATE OR REPLACE FUNCTION ticket_queue_view() RETURNS public.ticket_queue_view
LANGUAGE plpgsql STABLE AS $$
DECLARE
    v public.ticket_queue_view;
BEGIN
    SELECT s.head, s.waiting, s.admitted_last_minute, s.in_service,
           (extract(epoch FROM s.advanced_at) * 1000000)::bigint, s.gaps
      INTO v FROM public.queue_state s;
    RETURN v;
END
$$;
