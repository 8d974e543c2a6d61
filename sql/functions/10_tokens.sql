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
-- 'expire', or 'invalid' (no such token of that user). One indexed lookup;
-- the first time a token is found in service it is claimed (used: see
-- ticket_token_claim). (PL/pgSQL, not SQL: its plan is kept for the
-- session; an SQL function that cannot be inlined is planned on every
-- call, at half the speed.)
CREATE OR REPLACE FUNCTION ticket_token_status(p_seq bigint, p_user bigint)
RETURNS text LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    v_state text;
    v_expires timestamptz;
    v_claimed timestamptz;
BEGIN
    SELECT t.state, t.expires_at, t.claimed_at INTO v_state, v_expires, v_claimed
      FROM public.queue_tokens t WHERE t.seq = p_seq AND t.user_id = p_user;
    IF NOT FOUND THEN
        RETURN 'invalid';
    END IF;
    IF v_state = 'service' AND v_expires <= clock_timestamp() THEN
        RETURN 'expire';
    END IF;
    IF v_state = 'service' AND v_claimed IS NULL THEN
        RETURN public.ticket_token_claim(p_seq, p_user);
    END IF;
    RETURN v_state;
END
$$;

-- Marks an admitted token used, once: from then on TicketClaimTimeout
-- does not end it. 'service', or 'expire' when the claim timeout (or its
-- time) ended it first (the admission's UPDATE and this one take the
-- row's lock in turn, and the second sees what the first did).
CREATE OR REPLACE FUNCTION ticket_token_claim(p_seq bigint, p_user bigint)
RETURNS text LANGUAGE plpgsql VOLATILE
SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
    UPDATE queue_tokens t SET claimed_at = clock_timestamp()
     WHERE t.seq = p_seq AND t.user_id = p_user AND t.state = 'service'
       AND t.claimed_at IS NULL AND t.expires_at > clock_timestamp();
    IF FOUND THEN
        RETURN 'service';
    END IF;
    -- claimed meanwhile by a concurrent request, or ended
    PERFORM 1 FROM queue_tokens t
     WHERE t.seq = p_seq AND t.user_id = p_user AND t.state = 'service'
       AND t.expires_at > clock_timestamp();
    RETURN CASE WHEN FOUND THEN 'service' ELSE 'expire' END;
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
           (extract(epoch FROM s.advanced_at) * 1000000)::bigint, s.gaps,
           s.early_ends_last_minute, s.expiries,
           (extract(epoch FROM s.shuffle_start) * 1000000)::bigint,
           encode(s.shuffle_key, 'hex'), s.shuffle_base, s.shuffle_size,
           s.shuffle_done
      INTO v FROM public.queue_state s;
    RETURN v;
END
$$;
