-- 20_queue.sql: entering the queue and admitting from it, each one
-- statement for the caller (a function) and one transaction.
--
-- The queue fence: admission takes the advisory lock 120112302568555
-- exclusively, entries take it shared. So while admission reads the queue
-- no entry is half-done, every number drawn before it is committed, and
-- every number drawn after it is larger: FIFO by seq holds, and every
-- waiting token has seq > queue_state.head.

-- The user the site's authentication calls p_name, made on first sight
-- with an empty account (so a site's users need not be loaded in advance).
-- Two first entries of one name at once make one user.
CREATE OR REPLACE FUNCTION ticket_user_named(p_name text) RETURNS bigint
LANGUAGE plpgsql
SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    v_user bigint;
BEGIN
    INSERT INTO users (user_name) VALUES (p_name)
    ON CONFLICT (user_name) DO NOTHING RETURNING user_id INTO v_user;
    IF v_user IS NULL THEN          -- made meanwhile by a concurrent entry
        SELECT u.user_id INTO v_user FROM users u WHERE u.user_name = p_name;
    ELSE
        INSERT INTO accounts (user_id) VALUES (v_user);
    END IF;
    RETURN v_user;
END
$$;

-- Enters p_user into the queue; with p_name (RemoteUser mode) the caller
-- is the user of that name, and p_user, when given, must be that user.
-- result: created | existing | closed | unknown_user | forbidden
CREATE OR REPLACE FUNCTION ticket_enter(p_user bigint, p_name text,
    p_open boolean,
    OUT result text,
    OUT user_id bigint,
    OUT token_seq bigint,
    OUT token_state text,
    OUT queue ticket_queue_view)
LANGUAGE plpgsql
SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
    user_id := p_user;
    IF p_name IS NOT NULL THEN
        SELECT u.user_id INTO user_id FROM users u WHERE u.user_name = p_name;
        IF p_user IS NOT NULL AND p_user IS DISTINCT FROM user_id THEN
            result := 'forbidden';
            RETURN;
        END IF;
        -- first sight: a user row only for someone who may enter now
        IF user_id IS NULL AND NOT p_open THEN
            result := 'closed';
            RETURN;
        END IF;
        user_id := coalesce(user_id, ticket_user_named(p_name));
    END IF;
    PERFORM pg_advisory_xact_lock_shared(120112302568555);
    -- serialises the entries of one user: one live token each
    PERFORM 1 FROM users u WHERE u.user_id = ticket_enter.user_id
        FOR NO KEY UPDATE;
    IF NOT FOUND THEN
        result := 'unknown_user';
        RETURN;
    END IF;
    UPDATE queue_tokens t SET state = 'expire'
     WHERE t.user_id = ticket_enter.user_id AND t.state = 'service'
       AND t.expires_at <= clock_timestamp();
    SELECT t.seq, t.state INTO token_seq, token_state
      FROM queue_tokens t
     WHERE t.user_id = ticket_enter.user_id AND t.state IN ('wait', 'service');
    IF FOUND THEN
        result := 'existing';
    ELSIF NOT p_open THEN
        result := 'closed';
        RETURN;
    ELSE
        INSERT INTO queue_tokens (user_id) VALUES (ticket_enter.user_id)
        RETURNING seq, state INTO token_seq, token_state;
        result := 'created';
    END IF;
    queue := ticket_queue_view();
END
$$;

-- The lo, hi pairs of a gaps array, as rows.
CREATE OR REPLACE FUNCTION ticket_gap_pairs(p_gaps bigint[],
    OUT lo bigint, OUT hi bigint) RETURNS SETOF record
LANGUAGE sql IMMUTABLE AS $$
    SELECT p_gaps[i], p_gaps[i + 1]
      FROM generate_subscripts(p_gaps, 1) AS i WHERE i % 2 = 1
$$;

-- The gaps (numbers that never were entries) above p_head: p_gaps, and
-- those among the numbers drawn since p_scanned (up to p_max, all
-- committed or rolled back: admission holds the queue fence), the
-- largest TK_QUEUE_MAX_GAPS (8) kept; a smaller one left out only makes
-- positions count a few numbers of failed entries.
CREATE OR REPLACE FUNCTION ticket_queue_gaps(p_gaps bigint[], p_scanned bigint,
    p_max bigint, p_head bigint) RETURNS bigint[]
LANGUAGE sql STABLE
SET search_path = public, pg_temp AS $$
    SELECT coalesce(array_agg(x ORDER BY n, k), '{}')
      FROM (SELECT g.lo, g.hi, row_number() OVER (ORDER BY g.hi - g.lo DESC, g.lo) AS n
              FROM (SELECT lo, hi FROM ticket_gap_pairs(p_gaps)
                    UNION
                    SELECT prev + 1, seq - 1
                      FROM (SELECT seq, lag(seq) OVER (ORDER BY seq) AS prev
                              FROM queue_tokens
                             WHERE seq >= p_scanned AND seq <= p_max) d
                     WHERE seq - prev > 1) g
             WHERE g.hi > p_head) kept
      CROSS JOIN LATERAL (VALUES (1, kept.lo), (2, kept.hi)) AS v(k, x)
     WHERE kept.n <= 8
$$;

-- How many tokens an admission run may admit now under TicketAdmitRate
-- p_rate (0: no limit): at most p_rate in any 60 s (counted), and spread
-- over the minute by the allowance in queue_state, refilled at p_rate/60
-- a second and holding at most one run's share (p_rate * p_interval / 60,
-- rounded up), so that no run admits a burst. (A tenth of an admission of
-- slack, so that a run a few ms early still admits its share.)
CREATE OR REPLACE FUNCTION ticket_rate_slots(p_rate integer, p_interval integer,
    p_now timestamptz, p_allowance double precision, p_refilled timestamptz,
    OUT slots bigint, OUT allowance double precision)
LANGUAGE plpgsql STABLE
SET search_path = public, pg_temp AS $$
DECLARE
    v_share double precision := ceil(p_rate::numeric * p_interval / 60);
    v_minute bigint;
BEGIN
    IF p_refilled = '-infinity' THEN
        allowance := v_share;           -- the first run with a rate
    ELSE
        allowance := least(v_share, p_allowance + p_rate / 60.0
            * greatest(extract(epoch FROM p_now - p_refilled), 0));
    END IF;
    SELECT count(*) INTO v_minute FROM queue_tokens
     WHERE admitted_at > p_now - interval '60 seconds';
    slots := greatest(least(floor(allowance + 0.1)::bigint, p_rate - v_minute), 0);
END
$$;

-- The earliest expires_at of the tokens in service, by rank, as
-- queue_state.expiries keeps them: rank, microseconds, rank, ...
CREATE OR REPLACE FUNCTION ticket_expiry_ranks(p_now timestamptz) RETURNS bigint[]
LANGUAGE sql STABLE
SET search_path = public, pg_temp AS $$
    SELECT coalesce(array_agg(x ORDER BY e.rn, v.k), '{}')
      FROM (SELECT row_number() OVER (ORDER BY t.expires_at) AS rn,
                   (extract(epoch FROM t.expires_at) * 1000000)::bigint AS us
              FROM (SELECT expires_at FROM queue_tokens
                     WHERE state = 'service' AND expires_at > p_now
                     ORDER BY expires_at LIMIT 1024) t) e
     CROSS JOIN LATERAL (VALUES (1, e.rn), (2, e.us)) AS v(k, x)
     WHERE e.rn <= 8 OR e.rn IN (16, 32, 64, 128, 256, 512, 1024)
$$;

-- The pre-queue closes (the first admission run at or after the sale's
-- start p_start): the numbers above p_head of the tokens that entered
-- before the start are shuffled, under a key drawn now from the
-- database's strong random source (gen_random_uuid), after the last of
-- them is known: nobody can pick a number for a place.
CREATE OR REPLACE FUNCTION ticket_prequeue_close(p_head bigint, p_start timestamptz,
    OUT base bigint, OUT size bigint, OUT key bytea)
LANGUAGE plpgsql VOLATILE
SET search_path = public, pg_temp AS $$
BEGIN
    base := p_head;
    SELECT coalesce(max(t.seq), p_head) - p_head INTO size
      FROM queue_tokens t WHERE t.seq > p_head AND t.issued_at < p_start;
    key := substr(sha256(uuid_send(gen_random_uuid())
                         || uuid_send(gen_random_uuid())), 1, 16);
END
$$;

-- Admits up to p_slots waiting tokens of the shuffled pre-queue by place,
-- from place p_done on: how many it admitted, and the places passed (a
-- place whose number never was an entry is passed without one).
CREATE OR REPLACE FUNCTION ticket_admit_shuffled(p_key bytea, p_base bigint,
    p_size bigint, p_done bigint, p_slots bigint, p_now timestamptz,
    p_service_ttl integer, OUT admitted bigint, OUT done bigint)
LANGUAGE plpgsql VOLATILE
SET search_path = public, pg_temp AS $$
DECLARE
    v_batch bigint;
    v_n bigint;
BEGIN
    admitted := 0;
    done := p_done;
    WHILE admitted < p_slots AND done < p_size LOOP
        v_batch := least(p_slots - admitted, p_size - done);
        UPDATE queue_tokens t
           SET state = 'service', admitted_at = p_now,
               expires_at = p_now + make_interval(secs => p_service_ttl)
          FROM generate_series(done, done + v_batch - 1) AS place
         WHERE t.seq = p_base + 1 + ticket_shuffle_index(p_key, p_size, place)
           AND t.state = 'wait';
        GET DIAGNOSTICS v_n = ROW_COUNT;
        admitted := admitted + v_n;
        done := done + v_batch;
    END LOOP;
END
$$;

-- Admits the oldest waiting tokens while fewer than p_capacity are in
-- service (none while p_paused; no more than TicketAdmitRate p_rate
-- allows), expires service tokens past their time and admitted tokens
-- unused for p_claim_timeout seconds (0: never), and records the queue's
-- state. Safe with several hosts: they take turns on the lock, and each
-- counts what the one before it admitted.
--
-- The tokens in service are not counted on every call (that is O(capacity)
-- and a payment admits at once, so calls are frequent): queue_state keeps
-- the count as of the last call, and each call subtracts the tokens whose
-- expires_at fell since then. expires_at only ever moves earlier (a payment
-- or a claim timeout sets it to its own time), so no token is subtracted
-- twice; a payment that commits after a call with an earlier time is never
-- subtracted, so the count can only be too high (admitting too few, never
-- too many) and is made exact again every minute by a full count.
CREATE OR REPLACE FUNCTION ticket_admit(p_capacity integer, p_service_ttl integer,
    p_paused boolean, p_rate integer, p_interval integer, p_claim_timeout integer,
    p_sale_start timestamptz,
    OUT admitted integer,
    OUT queue ticket_queue_view,
    OUT other_controls text)
LANGUAGE plpgsql
SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    v_now timestamptz;
    v_last timestamptz;
    v_recounted timestamptz;
    v_rate_at timestamptz;
    v_swept timestamptz;
    v_gaps bigint[];
    v_scanned bigint;
    v_skipped bigint;
    v_head bigint;
    v_live bigint;
    v_max bigint;
    v_rate bigint;
    v_head_now bigint;
    v_waiting bigint;
    v_slots bigint;
    v_unclaimed bigint;
    v_allowance double precision;
    v_refilled timestamptz;
    v_early bigint;
    v_expiries bigint[];
    v_shuffle_start timestamptz;
    v_key bytea;
    v_base bigint;
    v_size bigint;
    v_done bigint;
    v_fifo_from bigint;
    v_n bigint;
    v_controls text;
BEGIN
    IF p_capacity < 1 OR p_service_ttl < 1 OR p_rate < 0 OR p_interval < 1
       OR p_claim_timeout < 0 THEN
        RAISE EXCEPTION 'ticket_admit: capacity, service TTL and interval must '
            'be positive, rate and claim timeout not negative'
            USING ERRCODE = '22023';
    END IF;
    v_controls := format('TicketCapacity %s, TicketServiceTTL %s, TicketQueue %s, '
        'TicketAdmitRate %s, TicketClaimTimeout %s, TicketSaleStart %s',
        p_capacity, p_service_ttl, CASE WHEN p_paused THEN 'Paused' ELSE 'not paused' END,
        p_rate, p_claim_timeout, coalesce(p_sale_start::text, 'unset'));
    -- The lock is held until commit, so a synchronous commit would put a
    -- WAL flush inside every admission, one after the other. An admission
    -- lost in a crash is only undone (its tokens wait again), and any
    -- later synchronous commit (a hold, a payment) flushes it first.
    PERFORM set_config('synchronous_commit', 'off', true);
    -- the fence and the gaps rely on each statement seeing what committed
    -- before it (a snapshot of the transaction's start would not)
    IF current_setting('transaction_isolation') <> 'read committed' THEN
        RAISE EXCEPTION 'ticket_admit needs READ COMMITTED, not %',
            current_setting('transaction_isolation');
    END IF;
    -- the seats' counts (the lookups' catalogue) move to now about once
    -- a second, before the lock: admissions never wait for it
    PERFORM seat_counts_fold_due();
    PERFORM pg_advisory_xact_lock(120112302568555);
    v_now := clock_timestamp();
    SELECT s.in_service, s.advanced_at, s.recounted_at, s.rate_counted_at,
           s.admitted_last_minute, s.head, s.keys_swept_at, s.gaps,
           s.gaps_scanned, s.rate_allowance, s.rate_refilled_at,
           s.early_ends_last_minute, s.expiries, s.shuffle_start,
           s.shuffle_key, s.shuffle_base, s.shuffle_size, s.shuffle_done,
           nullif(s.controls, v_controls)
      INTO v_live, v_last, v_recounted, v_rate_at, v_rate, v_head, v_swept,
           v_gaps, v_scanned, v_allowance, v_refilled, v_early, v_expiries,
           v_shuffle_start, v_key, v_base, v_size, v_done, other_controls
      FROM queue_state s;
    IF v_recounted < v_now - interval '1 minute' OR v_last > v_now THEN
        SELECT count(*) INTO v_live FROM queue_tokens
         WHERE state = 'service' AND expires_at > v_now;
        v_recounted := v_now;
    ELSE
        v_live := v_live - (SELECT count(*) FROM queue_tokens
                             WHERE expires_at > v_last AND expires_at <= v_now);
    END IF;
    -- tidy the tokens whose time ran out since the last call (all of them
    -- once a minute); nothing depends on it but the queue's hygiene
    UPDATE queue_tokens SET state = 'expire'
     WHERE state = 'service' AND expires_at <= v_now
       AND (v_recounted = v_now OR expires_at > v_last);
    -- admitted and never used: the slot goes to the next in line (a token
    -- locked now is being claimed: skipped, not waited for under the lock)
    IF p_claim_timeout > 0 THEN
        WITH unused AS (
            SELECT seq FROM queue_tokens
             WHERE state = 'service' AND claimed_at IS NULL AND expires_at > v_now
               AND admitted_at <= v_now - make_interval(secs => p_claim_timeout)
               FOR UPDATE SKIP LOCKED)
        UPDATE queue_tokens t SET state = 'expire', expires_at = v_now
          FROM unused WHERE t.seq = unused.seq;
        GET DIAGNOSTICS v_unclaimed = ROW_COUNT;
        v_live := v_live - v_unclaimed;
    END IF;

    v_slots := CASE WHEN p_paused THEN 0 ELSE greatest(p_capacity - v_live, 0) END;
    IF p_rate > 0 AND v_slots > 0 THEN
        SELECT least(r.slots, v_slots), r.allowance INTO v_slots, v_allowance
          FROM ticket_rate_slots(p_rate, p_interval, v_now, v_allowance, v_refilled) r;
        v_refilled := v_now;
    END IF;
    -- the pre-queue: nobody before the start; at it, once, the shuffle
    -- (one pre-queue at a time: a new start waits for the last to pass)
    IF p_sale_start IS NOT NULL AND v_now < p_sale_start THEN
        v_slots := 0;
    ELSIF p_sale_start IS NOT NULL AND v_shuffle_start IS DISTINCT FROM p_sale_start
          AND v_done >= v_size THEN
        SELECT c.base, c.size, c.key INTO v_base, v_size, v_key
          FROM ticket_prequeue_close(v_head, p_sale_start) c;
        v_shuffle_start := p_sale_start;
        v_done := 0;
    END IF;
    -- the shuffled places first, then arrival order behind them
    admitted := 0;
    IF v_done < v_size AND v_slots > 0 THEN
        SELECT s.admitted, s.done INTO admitted, v_done
          FROM ticket_admit_shuffled(v_key, v_base, v_size, v_done, v_slots, v_now,
                                     p_service_ttl) s;
    END IF;
    v_fifo_from := greatest(v_head, v_base + v_size);
    IF v_done >= v_size AND admitted < v_slots THEN
        -- every waiting token is past head: starting there skips the
        -- index entries of the tokens admitted before (dead until vacuumed)
        WITH next AS (
            SELECT seq FROM queue_tokens WHERE state = 'wait' AND seq > v_fifo_from
             ORDER BY seq LIMIT v_slots - admitted)
        UPDATE queue_tokens t
           SET state = 'service', admitted_at = v_now,
               expires_at = v_now + make_interval(secs => p_service_ttl)
          FROM next WHERE t.seq = next.seq;
        GET DIAGNOSTICS v_n = ROW_COUNT;
        admitted := admitted + v_n;
    END IF;
    IF p_rate > 0 THEN
        v_allowance := v_allowance - admitted;
    END IF;

    SELECT coalesce(max(seq), 0) INTO v_max FROM queue_tokens;
    SELECT coalesce(min(seq) - 1, v_max) INTO v_head_now
      FROM queue_tokens WHERE state = 'wait' AND seq > v_head;
    -- (most calls have no new number and no gap: nothing to look at)
    v_skipped := 0;
    IF v_max > v_scanned OR v_gaps <> '{}' THEN
        v_gaps := ticket_queue_gaps(v_gaps, v_scanned, v_max, v_head_now);
        SELECT coalesce(sum(hi - greatest(lo, v_head_now + 1) + 1), 0) INTO v_skipped
          FROM ticket_gap_pairs(v_gaps) WHERE hi > v_head_now;
    END IF;
    v_waiting := v_max - v_head_now - v_skipped;
    IF v_done < v_size THEN
        -- those left of the shuffled places, and those behind them
        v_waiting := (v_size - v_done)
            + greatest(v_max - greatest(v_head_now, v_base + v_size), 0)
            - coalesce((SELECT sum(hi - greatest(lo, v_base + v_size + 1) + 1)
                          FROM ticket_gap_pairs(v_gaps) WHERE hi > v_base + v_size), 0);
    END IF;
    -- the minute's counts and the expiry ranks (for etaSeconds): once a
    -- second is often enough (payments admit many times a second, and the
    -- counts are O(admissions a minute))
    IF v_rate_at < v_now - interval '1 second' THEN
        SELECT count(*) INTO v_rate
          FROM queue_tokens WHERE admitted_at > v_now - interval '1 minute';
        SELECT count(*) INTO v_early
          FROM queue_tokens
         WHERE expires_at > v_now - interval '1 minute' AND expires_at <= v_now
           AND expires_at < admitted_at + make_interval(secs => p_service_ttl);
        v_expiries := ticket_expiry_ranks(v_now);
        v_rate_at := v_now;
    ELSE
        v_rate := v_rate + admitted;
    END IF;

    UPDATE queue_state
       SET head = greatest(head, v_head_now), waiting = v_waiting,
           admitted_last_minute = v_rate, in_service = v_live + admitted,
           advanced_at = v_now, recounted_at = v_recounted,
           rate_counted_at = v_rate_at, gaps = v_gaps,
           gaps_scanned = greatest(gaps_scanned, v_max),
           rate_allowance = v_allowance, rate_refilled_at = v_refilled,
           early_ends_last_minute = v_early, expiries = v_expiries,
           shuffle_start = v_shuffle_start, shuffle_key = v_key,
           shuffle_base = v_base, shuffle_size = v_size, shuffle_done = v_done,
           controls = v_controls;

    -- idempotency keys older than 24 hours are forgotten (ticket_charge
    -- treats them as new): at most 1,000 a minute, oldest first
    IF v_swept < v_now - interval '1 minute' THEN
        DELETE FROM charge_requests c
         WHERE c.ctid = ANY (ARRAY(
               SELECT k.ctid FROM charge_requests k
                WHERE k.created_at <= v_now - interval '24 hours'
                ORDER BY k.created_at LIMIT 1000));
        UPDATE queue_state SET keys_swept_at = v_now;
    END IF;
    queue := ticket_queue_view();
END
$$;
