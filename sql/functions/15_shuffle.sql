-- 15_shuffle.sql: the pre-queue's random order, the keyed permutation of
-- mod_ticket/tk_shuffle.h, bit for bit: a waiting poll computes its
-- token's place there (place = ticket_shuffle_place(key, size, index)),
-- the admission here which index has place k (ticket_shuffle_index).
--
--   h    = the smallest h >= 1 with 4^h >= size; mask = 2^h - 1.
--   F(i, R) = the first 8 bytes, big-endian, of
--             sha256(key || byte(i) || int8send(R)), AND mask.
--   A pass over x in [0, 4^h): L = x >> h (high half), R = x & mask;
--   for i = 0..5: (L, R) <- (R, L # F(i, R)); then x = (L << h) | R.
--   The inverse pass: for i = 5..0: (L, R) <- (R # F(i, L), L).
--   Cycle walking: passes until x < size.
--
-- -1 for an index or place outside [0, size), or a size below 1 or above
-- 2^62; NULL for a NULL argument; an error for a key that is not 16 bytes.
-- (Pure: IMMUTABLE, and naming no table, no search_path to pin.
-- PL/pgSQL keeps the plans of its expressions for the session. Only the
-- low 31 bits of F's 8 bytes survive the mask, i.e. of bytes 4..7, which
-- are read as one int4 and widened.)

CREATE OR REPLACE FUNCTION ticket_shuffle_walk(p_key bytea, p_size bigint,
    p_x bigint, p_inverse boolean)
RETURNS bigint LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $$
DECLARE
    v_half int := 1;
    v_mask bigint;
    v_l bigint;
    v_r bigint;
    v_t bigint;
    v_x bigint := p_x;
    v_pre bytea[];      -- key || byte(i), for i = 0..5 (at v_pre[i + 1])
BEGIN
    IF length(p_key) <> 16 THEN
        RAISE EXCEPTION 'ticket_shuffle: the key has % bytes, not 16', length(p_key)
              USING ERRCODE = '22023';
    END IF;
    IF p_size < 1 OR p_size > 4611686018427387904 OR p_x < 0 OR p_x >= p_size THEN
        RETURN -1;
    END IF;
    WHILE (1::bigint << (2 * v_half)) < p_size LOOP
        v_half := v_half + 1;
    END LOOP;
    v_mask := (1::bigint << v_half) - 1;
    v_pre := ARRAY[p_key || '\x00'::bytea, p_key || '\x01'::bytea,
                   p_key || '\x02'::bytea, p_key || '\x03'::bytea,
                   p_key || '\x04'::bytea, p_key || '\x05'::bytea];
    LOOP
        v_l := v_x >> v_half;
        v_r := v_x & v_mask;
        IF NOT p_inverse THEN
            FOR i IN 1..6 LOOP
                v_t := v_r;
                v_r := v_l # (('x' || encode(substr(sha256(v_pre[i] || int8send(v_r)),
                                                    5, 4), 'hex'))::bit(32)::int4::bigint
                              & v_mask);
                v_l := v_t;
            END LOOP;
        ELSE
            FOR i IN REVERSE 6..1 LOOP
                v_t := v_l;
                v_l := v_r # (('x' || encode(substr(sha256(v_pre[i] || int8send(v_l)),
                                                    5, 4), 'hex'))::bit(32)::int4::bigint
                              & v_mask);
                v_r := v_t;
            END LOOP;
        END IF;
        v_x := (v_l << v_half) | v_r;
        EXIT WHEN v_x < p_size;
    END LOOP;
    RETURN v_x;
END
$$;

-- The place (0-based) of index p_index among p_size.
CREATE OR REPLACE FUNCTION ticket_shuffle_place(p_key bytea, p_size bigint,
    p_index bigint)
RETURNS bigint LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT ticket_shuffle_walk(p_key, p_size, p_index, false)
$$;

-- The index whose place is p_place: the inverse.
CREATE OR REPLACE FUNCTION ticket_shuffle_index(p_key bytea, p_size bigint,
    p_place bigint)
RETURNS bigint LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT ticket_shuffle_walk(p_key, p_size, p_place, true)
$$;
