-- 40_money.sql: charging the balance and paying for a held seat, each one
-- transaction. Every won moves with its ledger row in the same
-- transaction, so balance = charges - payments at every commit, and the
-- CHECK (balance >= 0) makes a negative balance impossible.

-- Charges p_amount to p_user (the token's user, checked by the caller
-- against the body). result: charged | replay | token_<status> |
-- unknown_user | invalid_amount | key_reused
-- With an idempotency key, the first request inserts the key's row and
-- holds it until it commits: a concurrent duplicate waits on that insert,
-- then returns the stored result; if the first failed, its row is gone
-- and the duplicate runs anew.
CREATE OR REPLACE FUNCTION ticket_charge(p_seq bigint, p_user bigint, p_amount bigint,
    p_max_charge bigint, p_max_balance bigint, p_key text,
    OUT result text, OUT user_name text, OUT amount bigint, OUT point bigint,
    OUT reg_date text)
LANGUAGE plpgsql
SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    v_status text := ticket_token_status(p_seq, p_user);
    v_entry bigint;
    v_key_amount bigint;
BEGIN
    IF NOT ticket_token_live(v_status) THEN
        result := 'token_' || v_status;
        RETURN;
    END IF;
    SELECT u.user_name INTO user_name FROM users u WHERE u.user_id = p_user;
    IF NOT FOUND THEN
        result := 'unknown_user';
        RETURN;
    END IF;
    IF p_amount <= 0 OR p_amount > p_max_charge THEN
        result := 'invalid_amount';
        RETURN;
    END IF;

    IF p_key IS NOT NULL THEN
        -- a key older than 24 hours is forgotten
        DELETE FROM charge_requests c WHERE c.user_id = p_user
           AND c.idempotency_key = p_key
           AND c.created_at <= clock_timestamp() - interval '24 hours';
        INSERT INTO charge_requests (user_id, idempotency_key, amount)
        VALUES (p_user, p_key, p_amount) ON CONFLICT DO NOTHING;
        IF NOT FOUND THEN
            SELECT c.amount, c.entry_id INTO v_key_amount, v_entry
              FROM charge_requests c
             WHERE c.user_id = p_user AND c.idempotency_key = p_key;
            IF v_key_amount <> p_amount THEN
                result := 'key_reused';
                RETURN;
            END IF;
            SELECT l.amount, l.balance_after,
                   to_char(l.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')
              INTO amount, point, reg_date
              FROM ledger l WHERE l.entry_id = v_entry;
            result := 'replay';
            RETURN;
        END IF;
    END IF;

    INSERT INTO accounts (user_id) VALUES (p_user) ON CONFLICT DO NOTHING;
    UPDATE accounts a SET balance = a.balance + p_amount,
                          updated_at = clock_timestamp()
     WHERE a.user_id = p_user AND a.balance + p_amount <= p_max_balance
    RETURNING a.balance INTO point;
    IF NOT FOUND THEN
        -- nothing may remain of a failed attempt, its key included
        DELETE FROM charge_requests c
         WHERE c.user_id = p_user AND c.idempotency_key = p_key;
        result := 'invalid_amount';
        RETURN;
    END IF;
    INSERT INTO ledger (user_id, kind, amount, balance_after)
    VALUES (p_user, 'charge', p_amount, point)
    RETURNING entry_id, ledger.amount,
              to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')
         INTO v_entry, amount, reg_date;
    IF p_key IS NOT NULL THEN
        UPDATE charge_requests c SET entry_id = v_entry
         WHERE c.user_id = p_user AND c.idempotency_key = p_key;
    END IF;
    result := 'charged';
END
$$;

-- Pays for a held ticket. result: paid | replay | token_<status> |
-- ticket_not_found | hold_expired | insufficient
-- The user's row is locked first (as ticket_hold does: a hold made
-- meanwhile is seen, or sees the token ended), then the seat row: the
-- hold is judged live at clock_timestamp() under that lock, so a hold that
-- expired (by its time, or because its schedule started) before this
-- commit is never paid, and two payments of one ticket serialise (the
-- second sees 'booked' and replays the first).
CREATE OR REPLACE FUNCTION ticket_pay(p_seq bigint, p_user bigint, p_ticket bigint,
    OUT result text, OUT user_name text, OUT concert_title text,
    OUT concert_date text, OUT seat_num integer, OUT price bigint,
    OUT point bigint, OUT token_stat text)
LANGUAGE plpgsql
SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    v_owner bigint;
    v_status text;
    v_seat bigint;
    v_hold_ticket bigint;
    v_hold_until timestamptz;
    v_booked bigint;
    v_starts timestamptz;
    v_now timestamptz;
BEGIN
    PERFORM 1 FROM users u WHERE u.user_id = p_user FOR NO KEY UPDATE;
    SELECT t.user_id, t.status, t.seat_id INTO v_owner, v_status, v_seat
      FROM tickets t WHERE t.ticket_id = p_ticket;
    IF FOUND AND v_owner = p_user AND v_status <> 'booked' THEN
        -- lock the seat, then look again: a concurrent payment may have won
        SELECT st.hold_ticket_id, st.hold_until, st.booked_ticket_id, s.starts_at
          INTO v_hold_ticket, v_hold_until, v_booked, v_starts
          FROM seats st JOIN schedules s ON s.schedule_id = st.schedule_id
         WHERE st.seat_id = v_seat FOR UPDATE OF st;
        SELECT t.status INTO v_status FROM tickets t WHERE t.ticket_id = p_ticket;
    END IF;

    SELECT u.user_name, c.title, to_char(s.concert_date, 'YYYY-MM-DD'), st.seat_num, t.price
      INTO user_name, concert_title, concert_date, seat_num, price
      FROM tickets t JOIN users u ON u.user_id = t.user_id
      JOIN seats st ON st.seat_id = t.seat_id
      JOIN schedules s ON s.schedule_id = st.schedule_id
      JOIN concerts c ON c.concert_id = s.concert_id
     WHERE t.ticket_id = p_ticket;

    IF v_owner = p_user AND v_status = 'booked' THEN
        -- a replay: the first payment's answer, nothing changes
        SELECT l.balance_after, t.paid_token_stat INTO point, token_stat
          FROM tickets t JOIN ledger l ON l.ticket_id = t.ticket_id
         WHERE t.ticket_id = p_ticket;
        result := 'replay';
        RETURN;
    END IF;
    v_status := ticket_token_status(p_seq, p_user);
    IF v_status <> 'service' THEN
        result := 'token_' || v_status;
        RETURN;
    END IF;
    IF v_owner IS DISTINCT FROM p_user THEN
        result := 'ticket_not_found';
        RETURN;
    END IF;
    v_now := clock_timestamp();
    IF v_booked IS NOT NULL OR v_hold_ticket IS DISTINCT FROM p_ticket
       OR v_hold_until <= v_now OR v_starts <= v_now THEN
        result := 'hold_expired';
        RETURN;
    END IF;

    UPDATE accounts a SET balance = a.balance - price, updated_at = v_now
     WHERE a.user_id = p_user AND a.balance >= price
    RETURNING a.balance INTO point;
    IF NOT FOUND THEN
        result := 'insufficient';
        RETURN;
    END IF;
    INSERT INTO ledger (user_id, kind, amount, balance_after, ticket_id)
    VALUES (p_user, 'pay', price, point, p_ticket);
    UPDATE seats st SET booked_ticket_id = p_ticket, hold_until = NULL
     WHERE st.seat_id = v_seat;

    -- the token ends unless another of the user's holds is still live
    IF EXISTS (SELECT 1 FROM tickets t JOIN seats st
                 ON st.seat_id = t.seat_id AND st.hold_ticket_id = t.ticket_id
                WHERE t.user_id = p_user AND t.status = 'temp'
                  AND t.ticket_id <> p_ticket AND st.hold_until > v_now) THEN
        token_stat := 'service';
    ELSE
        token_stat := 'expire';
        -- (expires_at only ever moves earlier: ticket_admit counts on it)
        UPDATE queue_tokens q SET state = 'expire',
                                  expires_at = least(q.expires_at, v_now)
         WHERE q.user_id = p_user AND q.state = 'service';
    END IF;
    UPDATE tickets t SET status = 'booked', paid_at = v_now,
                         paid_token_stat = token_stat
     WHERE t.ticket_id = p_ticket;
    result := 'paid';
END
$$;
