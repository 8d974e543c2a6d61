-- 35_seat_counts.sql: the bookable schedules' free seats in O(schedules)
-- (the counts of 012_seat_counts.sql: free seats at a mark, the changes
-- since, and the holds that ended since), and the fold that keeps the
-- changes and the ended holds few.
--
-- What a schedule's free seats gain from its mark m to an instant t is a
-- range of seats_holds: its unsold seats whose hold ends in (m, t], or
-- minus those that end in (t, m] when t comes first (a clock stepped
-- back). The fold and the view below count it so, inline (a function per
-- schedule costs more than the range).

-- Folds the changes into the counts and moves the marks to p_at, in one
-- statement: one snapshot, so the changes it deletes are exactly those
-- of the writes whose seats it sees. It writes the counts of schedules
-- that changed and of bookable ones whose free seats moved; a count left
-- at its mark stays right (no change came, no hold ended since). Folds
-- must not overlap (seat_counts_fold_due).
CREATE OR REPLACE FUNCTION seat_counts_fold(p_at timestamptz) RETURNS void
LANGUAGE sql SET search_path = public, pg_temp AS $$
    WITH gone AS (
        DELETE FROM seat_count_changes RETURNING schedule_id, hold_until, delta),
    changed AS (
        SELECT g.schedule_id,
               coalesce(sum(g.delta) FILTER (WHERE g.hold_until IS NULL
                   OR g.hold_until <= c.marked_at), 0)::bigint AS delta
          FROM gone g LEFT JOIN seat_counts c ON c.schedule_id = g.schedule_id
         GROUP BY g.schedule_id),
    moved AS (
        SELECT s.schedule_id, c.free_seats AS was, ch.schedule_id IS NOT NULL AS changed,
               coalesce(c.free_seats, 0) + coalesce(ch.delta, 0) + e.seats AS free_seats,
               (SELECT min(st.hold_until) FROM seats st
                 WHERE st.schedule_id = s.schedule_id AND st.booked_ticket_id IS NULL
                   AND st.hold_until > p_at) AS next_end
          FROM schedules s
          LEFT JOIN seat_counts c ON c.schedule_id = s.schedule_id
          LEFT JOIN changed ch ON ch.schedule_id = s.schedule_id
         CROSS JOIN LATERAL (SELECT coalesce(c.marked_at, '-infinity') AS at) mark
         CROSS JOIN LATERAL (
               SELECT count(*) * CASE WHEN p_at >= mark.at THEN 1 ELSE -1 END AS seats
                 FROM seats st
                WHERE st.schedule_id = s.schedule_id AND st.booked_ticket_id IS NULL
                  AND st.hold_until > least(mark.at, p_at)
                  AND st.hold_until <= greatest(mark.at, p_at)) e
         WHERE ch.schedule_id IS NOT NULL OR s.starts_at > p_at)
    INSERT INTO seat_counts AS c (schedule_id, marked_at, free_seats, next_end)
    SELECT m.schedule_id, p_at, m.free_seats, m.next_end FROM moved m
     WHERE m.changed OR m.was IS DISTINCT FROM m.free_seats
    ON CONFLICT (schedule_id) DO UPDATE
       SET marked_at = EXCLUDED.marked_at, free_seats = EXCLUDED.free_seats,
           next_end = EXCLUDED.next_end
$$;

-- The fold, when the last is a second old: by one caller at a time (the
-- others go on without waiting), each after the one before it committed
-- (the lock is taken before the fold's snapshot). Called by ticket_admit
-- before the queue's lock, so admissions never wait for a fold.
CREATE OR REPLACE FUNCTION seat_counts_fold_due() RETURNS void
LANGUAGE plpgsql SET search_path = public, pg_temp AS $$
BEGIN
    IF current_setting('transaction_isolation') <> 'read committed' THEN
        RAISE EXCEPTION 'seat_counts_fold_due needs READ COMMITTED, not %',
            current_setting('transaction_isolation');
    END IF;
    IF (SELECT f.folded_at FROM seat_counts_fold f) > clock_timestamp() - interval '1 second'
       OR NOT pg_try_advisory_xact_lock(120112302568556) THEN
        RETURN;
    END IF;
    -- locked, and a new snapshot: the last fold may have just committed
    UPDATE seat_counts_fold SET folded_at = clock_timestamp()
     WHERE folded_at <= clock_timestamp() - interval '1 second';
    IF FOUND THEN
        PERFORM seat_counts_fold(clock_timestamp());
    END IF;
END
$$;

-- The bookable schedules' free seats at now() (as ticket_seat_is_free
-- counts them) and the end of each one's earliest live hold (NULL:
-- none). A schedule with no change since its mark and no hold ended
-- since is its mark's row alone; the others add their changes and read
-- the range of holds ended since, and the next end, in seats_holds.
-- O(schedules, and the changes and hold ends since the last fold),
-- whatever the number of seats and live holds.
CREATE OR REPLACE VIEW seat_free_now AS
    WITH changed AS (
        SELECT ch.schedule_id,
               sum(ch.delta) FILTER (WHERE ch.hold_until IS NULL
                   OR ch.hold_until <= c.marked_at)::bigint AS delta
          FROM seat_count_changes ch
          LEFT JOIN seat_counts c ON c.schedule_id = ch.schedule_id
         GROUP BY ch.schedule_id)
    SELECT s.schedule_id, s.concert_id,
           CASE WHEN q.quiet THEN c.free_seats
                ELSE coalesce(c.free_seats, 0) + coalesce(ch.delta, 0)
                     + (SELECT count(*) * CASE WHEN now() >= q.at THEN 1 ELSE -1 END
                          FROM seats st
                         WHERE st.schedule_id = s.schedule_id
                           AND st.booked_ticket_id IS NULL
                           AND st.hold_until > least(q.at, now())
                           AND st.hold_until <= greatest(q.at, now())) END AS free_seats,
           CASE WHEN q.quiet THEN c.next_end
                ELSE (SELECT min(st.hold_until) FROM seats st
                       WHERE st.schedule_id = s.schedule_id
                         AND st.booked_ticket_id IS NULL AND st.hold_until > now()) END
             AS next_end
      FROM schedules s
      LEFT JOIN seat_counts c ON c.schedule_id = s.schedule_id
      LEFT JOIN changed ch ON ch.schedule_id = s.schedule_id
     CROSS JOIN LATERAL (
           SELECT coalesce(c.marked_at, '-infinity') AS at,
                  c.schedule_id IS NOT NULL AND ch.schedule_id IS NULL
                  AND now() >= c.marked_at
                  AND (c.next_end IS NULL OR c.next_end > now()) AS quiet) q
     WHERE s.starts_at > now();

-- seat_free_now for the module: what the lookups' copy keeps, and what
-- the concert list's own statement counts. SQL that the planner inlines
-- into the statement that calls it (no call of its own), so it runs as
-- the module's role and names its view with its schema; the view reads
-- the counts as the owner (the module's role reads no count table).
CREATE OR REPLACE FUNCTION ticket_free_seats(OUT schedule_id bigint,
    OUT free_seats bigint, OUT next_end timestamptz)
RETURNS SETOF record
LANGUAGE sql STABLE AS $$
    SELECT f.schedule_id, f.free_seats, f.next_end FROM public.seat_free_now f
$$;
