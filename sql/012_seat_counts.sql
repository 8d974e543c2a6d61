-- 012_seat_counts.sql: every schedule's free seats, kept so that the
-- lookups' copy (the catalogue of endpoints 3 and 4) reads them in
-- O(schedules), not by counting seats.
--
-- A seat is free at an instant t while it is unsold and not held past t
-- (ticket_seat_is_free). Holds end by the clock, so no count of "free
-- now" can be kept by writes alone; what is kept is each schedule's free
-- seats at an instant of its own, its mark:
--
--   free now = free_seats at marked_at
--            + the changes since (seat_count_changes), as of marked_at
--            + the unsold seats whose hold ended in (marked_at, now]
--              (or minus those that end in (now, marked_at])
--
-- The last term is a range of seats_holds. The mark also keeps the end
-- of the schedule's earliest hold after it (next_end): while no change
-- came since and that end is still ahead, free_seats is the count now
-- and next_end the next end, with no seat read at all (a sale's quiet
-- schedules, and every schedule while nobody buys). Writes to seats append their
-- changes (the triggers below, whoever writes: the functions, the
-- catalogue's loader, a hand-made UPDATE) and never update a shared row:
-- a counter per schedule made its payments wait on each other until
-- each commit (in pgbench, 64 clients paying for seats of one schedule:
-- about 400 payments/s instead of 1,800). The admission runs fold the
-- changes into the counts and move the marks to their time, about once
-- a second (seat_counts_fold_due, from ticket_admit): if they stop, the
-- counts stay right and their reads grow slower.

CREATE TABLE seat_counts (
    schedule_id  bigint PRIMARY KEY REFERENCES schedules ON DELETE CASCADE,
    marked_at    timestamptz NOT NULL,
    free_seats   bigint NOT NULL,   -- free at marked_at, but for the changes
    next_end     timestamptz        -- the first hold_until after marked_at
);                                  -- (NULL: none), but for the changes

-- Unsold seats that appeared (delta > 0) or went (delta < 0) in
-- schedule_id with that hold_until (NULL: never held, or its hold
-- cleared), by each committed write to seats; only the fold deletes them.
CREATE TABLE seat_count_changes (
    schedule_id  bigint NOT NULL,
    hold_until   timestamptz,
    delta        bigint NOT NULL
);

-- The holds of unsold seats by schedule and end: the range of holds that
-- ended since a mark, and the next end of a live hold.
CREATE INDEX seats_holds ON seats (schedule_id, hold_until)
    WHERE booked_ticket_id IS NULL AND hold_until IS NOT NULL;

-- A statement's changes: its unsold seats' images before (old_seats)
-- and after (new_seats), netted by schedule and hold end. (Schema, not
-- code in sql/functions/: the trigger needs it in this transaction.)
CREATE FUNCTION seat_counts_note() RETURNS trigger
LANGUAGE plpgsql SET search_path = public, pg_temp AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO seat_count_changes (schedule_id, hold_until, delta)
        SELECT n.schedule_id, n.hold_until, count(*) FROM new_seats n
         WHERE n.booked_ticket_id IS NULL GROUP BY 1, 2;
    ELSIF TG_OP = 'DELETE' THEN
        INSERT INTO seat_count_changes (schedule_id, hold_until, delta)
        SELECT o.schedule_id, o.hold_until, -count(*) FROM old_seats o
         WHERE o.booked_ticket_id IS NULL GROUP BY 1, 2;
    ELSE
        INSERT INTO seat_count_changes (schedule_id, hold_until, delta)
        SELECT c.schedule_id, c.hold_until, sum(c.delta)
          FROM (SELECT o.schedule_id, o.hold_until, -1 AS delta FROM old_seats o
                 WHERE o.booked_ticket_id IS NULL
                UNION ALL
                SELECT n.schedule_id, n.hold_until, 1 FROM new_seats n
                 WHERE n.booked_ticket_id IS NULL) c
         GROUP BY 1, 2 HAVING sum(c.delta) <> 0;
    END IF;
    RETURN NULL;
END
$$;

-- No seat left: nothing to count (TRUNCATE has no transition table).
CREATE FUNCTION seat_counts_clear() RETURNS trigger
LANGUAGE plpgsql SET search_path = public, pg_temp AS $$
BEGIN
    DELETE FROM seat_count_changes;
    UPDATE seat_counts SET free_seats = 0, next_end = NULL;
    RETURN NULL;
END
$$;

-- (creating them locks seats against writes until this commits: the
-- counts below miss none)
CREATE TRIGGER seats_count_insert AFTER INSERT ON seats
    REFERENCING NEW TABLE AS new_seats
    FOR EACH STATEMENT EXECUTE FUNCTION seat_counts_note();
CREATE TRIGGER seats_count_update AFTER UPDATE ON seats
    REFERENCING OLD TABLE AS old_seats NEW TABLE AS new_seats
    FOR EACH STATEMENT EXECUTE FUNCTION seat_counts_note();
CREATE TRIGGER seats_count_delete AFTER DELETE ON seats
    REFERENCING OLD TABLE AS old_seats
    FOR EACH STATEMENT EXECUTE FUNCTION seat_counts_note();
CREATE TRIGGER seats_count_truncate AFTER TRUNCATE ON seats
    FOR EACH STATEMENT EXECUTE FUNCTION seat_counts_clear();

-- the counts of the seats there are, at this transaction's start
INSERT INTO seat_counts (schedule_id, marked_at, free_seats, next_end)
SELECT s.schedule_id, now(), f.free_seats, f.next_end
  FROM schedules s
 CROSS JOIN LATERAL (
       SELECT count(*) FILTER (WHERE st.hold_until IS NULL
                                  OR st.hold_until <= now()) AS free_seats,
              min(st.hold_until) FILTER (WHERE st.hold_until > now()) AS next_end
         FROM seats st
        WHERE st.schedule_id = s.schedule_id AND st.booked_ticket_id IS NULL) f;

-- when the changes were last folded (by one admission run at a time,
-- before it takes the queue's lock: its own row, not queue_state's)
CREATE TABLE seat_counts_fold (
    only_row   boolean PRIMARY KEY DEFAULT true CHECK (only_row),
    folded_at  timestamptz NOT NULL
);
INSERT INTO seat_counts_fold (folded_at) VALUES (now());
