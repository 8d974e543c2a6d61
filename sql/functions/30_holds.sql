-- 30_holds.sql: temporary seat holds.

-- Holds a seat for p_user (the token's user) for p_ttl seconds.
-- result: held | existing | seat_taken | hold_limit | not_found |
--         token_wait | token_expire | token_invalid
-- At most one live hold per seat: the seat row is taken by a conditional
-- UPDATE (free -> held); the per-user limit is counted under a lock on
-- the user's row, so two holds of one user cannot both pass it. The token
-- is judged under that lock too: a payment takes it first as well, so a
-- hold and its user's last payment never miss each other (the payment
-- sees the new hold and keeps the token, or the hold sees the token
-- ended). A hold lasts p_ttl seconds, or until its schedule starts.
CREATE OR REPLACE FUNCTION ticket_hold(p_seq bigint, p_user bigint, p_concert bigint,
    p_schedule bigint, p_seat bigint, p_ttl integer, p_max_holds integer,
    OUT result text, OUT ticket_id bigint, OUT concert_date text,
    OUT seat_num integer, OUT price bigint, OUT hold_until text)
LANGUAGE plpgsql
SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    v_booked bigint;
    v_hold_ticket bigint;
    v_hold_until timestamptz;
    v_holder bigint;
    v_until timestamptz;
    v_date date;
    v_starts timestamptz;
    v_live integer;
BEGIN
    PERFORM 1 FROM users u WHERE u.user_id = p_user FOR NO KEY UPDATE;
    result := ticket_token_status(p_seq, p_user);
    IF result <> 'service' THEN
        result := 'token_' || result;
        RETURN;
    END IF;

    SELECT st.booked_ticket_id, st.hold_ticket_id, st.hold_until,
           st.seat_num, st.price, s.concert_date, s.starts_at
      INTO v_booked, v_hold_ticket, v_hold_until, seat_num, price, v_date,
           v_starts
      FROM seats st JOIN schedules s ON s.schedule_id = st.schedule_id
     WHERE st.seat_id = p_seat AND st.schedule_id = p_schedule
       AND s.concert_id = p_concert AND s.starts_at > clock_timestamp();
    IF NOT FOUND THEN
        result := 'not_found';
        RETURN;
    END IF;
    concert_date := to_char(v_date, 'YYYY-MM-DD');

    IF v_booked IS NULL AND v_hold_until > clock_timestamp() THEN
        SELECT t.user_id INTO v_holder FROM tickets t
         WHERE t.ticket_id = v_hold_ticket;
        IF v_holder = p_user THEN
            result := 'existing';
            ticket_id := v_hold_ticket;
            hold_until := to_char(v_hold_until AT TIME ZONE 'UTC',
                                  'YYYY-MM-DD"T"HH24:MI:SS"Z"');
            RETURN;
        END IF;
    END IF;
    IF NOT ticket_seat_is_free(v_booked, v_hold_until, clock_timestamp()) THEN
        result := 'seat_taken';
        RETURN;
    END IF;

    SELECT count(*) INTO v_live FROM tickets t JOIN seats st
        ON st.seat_id = t.seat_id AND st.hold_ticket_id = t.ticket_id
     WHERE t.user_id = p_user AND t.status = 'temp'
       AND st.hold_until > clock_timestamp();
    IF v_live >= p_max_holds THEN
        result := 'hold_limit';
        RETURN;
    END IF;

    ticket_id := nextval(pg_get_serial_sequence('tickets', 'ticket_id'));
    v_until := least(clock_timestamp() + make_interval(secs => p_ttl), v_starts);
    UPDATE seats st SET hold_ticket_id = ticket_hold.ticket_id, hold_until = v_until
     WHERE st.seat_id = p_seat
       AND ticket_seat_is_free(st.booked_ticket_id, st.hold_until, clock_timestamp());
    IF NOT FOUND THEN           -- taken since we looked: someone was faster
        result := 'seat_taken';
        ticket_id := NULL;
        RETURN;
    END IF;
    INSERT INTO tickets (ticket_id, seat_id, user_id, price, hold_until)
    VALUES (ticket_hold.ticket_id, p_seat, p_user, price, v_until);
    result := 'held';
    hold_until := to_char(v_until AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"');
END
$$;
