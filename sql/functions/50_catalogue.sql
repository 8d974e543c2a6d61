-- 50_catalogue.sql: loading a sale's catalogue (make catalogue): concerts,
-- their schedules (the venue's date, the start instant, its time zone)
-- and seat maps (sections of seat numbers with a price), from the JSON
-- document README.md describes. Everything is checked before anything is
-- written; the first fault is raised with the field it is in, and the
-- caller's transaction (psql -1) keeps nothing. Loading again updates what
-- changed, except what a live hold or a booking depends on: those are
-- refused, by name. Not for the module's role (no ticket_ prefix: the
-- grants leave it out); run as the owner.

CREATE OR REPLACE FUNCTION catalogue_fault(p_field text, p_message text) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'catalogue: %: %', p_field, p_message
        USING ERRCODE = '22023';
END
$$;

-- The value at p_doc's key when it is of its kind: 'id' (a positive
-- integer), 'text' (not empty) or 'list' (an array with something in it);
-- else a fault naming the field.
CREATE OR REPLACE FUNCTION catalogue_value(p_doc jsonb, p_key text, p_field text,
    p_kind text) RETURNS jsonb
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
    v jsonb := p_doc -> p_key;
BEGIN
    IF NOT coalesce(CASE p_kind
            WHEN 'id' THEN jsonb_typeof(v) = 'number' AND v::text ~ '^[1-9][0-9]{0,17}$'
            WHEN 'text' THEN jsonb_typeof(v) = 'string' AND btrim(v #>> '{}') <> ''
            ELSE jsonb_typeof(v) = 'array' AND jsonb_array_length(v) > 0 END, false) THEN
        PERFORM catalogue_fault(p_field || '.' || p_key, CASE p_kind
            WHEN 'id' THEN 'a positive integer is needed'
            WHEN 'text' THEN 'a text is needed'
            ELSE 'a list with something in it is needed' END
            || ', not ' || coalesce(v::text, 'nothing'));
    END IF;
    RETURN v;
END
$$;

CREATE OR REPLACE FUNCTION catalogue_id(p_doc jsonb, p_key text, p_field text)
RETURNS bigint LANGUAGE sql IMMUTABLE AS $$
    SELECT (catalogue_value(p_doc, p_key, p_field, 'id') #>> '{}')::bigint
$$;

CREATE OR REPLACE FUNCTION catalogue_text(p_doc jsonb, p_key text, p_field text)
RETURNS text LANGUAGE sql IMMUTABLE AS $$
    SELECT catalogue_value(p_doc, p_key, p_field, 'text') #>> '{}'
$$;

CREATE OR REPLACE FUNCTION catalogue_list(p_doc jsonb, p_key text, p_field text)
RETURNS jsonb LANGUAGE sql IMMUTABLE AS $$
    SELECT catalogue_value(p_doc, p_key, p_field, 'list')
$$;

-- One schedule of the document, checked: its date is the local date of
-- its start in its time zone, and its sections' seat numbers are
-- positive and in one section each. Returns its seats as rows.
CREATE OR REPLACE FUNCTION catalogue_schedule_seats(p_schedule jsonb, p_field text,
    OUT seat_num integer, OUT price bigint, OUT section text)
RETURNS SETOF record LANGUAGE plpgsql STABLE
SET search_path = public, pg_temp AS $$
DECLARE
    v_date date;
    v_starts timestamptz;
    v_zone text := catalogue_text(p_schedule, 'timeZone', p_field);
    v_sections jsonb := catalogue_list(p_schedule, 'sections', p_field);
    v_section jsonb;
    v_from bigint;
    v_to bigint;
    v_price bigint;
    v_name text;
    v_ranges int4range[] := '{}';
    v_range int4range;
    i integer;
    f text;
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_timezone_names WHERE name = v_zone) THEN
        PERFORM catalogue_fault(p_field || '.timeZone', format('%s is no time zone', v_zone));
    END IF;
    BEGIN
        v_date := to_date(catalogue_text(p_schedule, 'date', p_field), 'YYYY-MM-DD');
        IF to_char(v_date, 'YYYY-MM-DD') <> p_schedule ->> 'date' THEN
            RAISE invalid_datetime_format;
        END IF;
    EXCEPTION WHEN invalid_datetime_format OR datetime_field_overflow THEN
        PERFORM catalogue_fault(p_field || '.date', format('%s is no YYYY-MM-DD date',
                                p_schedule ->> 'date'));
    END;
    IF catalogue_text(p_schedule, 'startsAt', p_field)
       !~ '^\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d)?(Z|[+-]\d\d:\d\d)$' THEN
        PERFORM catalogue_fault(p_field || '.startsAt', format(
            '%s is no RFC 3339 instant with an offset', p_schedule ->> 'startsAt'));
    END IF;
    v_starts := (p_schedule ->> 'startsAt')::timestamptz;
    IF (v_starts AT TIME ZONE v_zone)::date <> v_date THEN
        PERFORM catalogue_fault(p_field || '.date', format(
            '%s is not the date of startsAt %s in %s (%s)', v_date,
            p_schedule ->> 'startsAt', v_zone, (v_starts AT TIME ZONE v_zone)::date));
    END IF;
    FOR i IN 0 .. jsonb_array_length(v_sections) - 1 LOOP
        v_section := v_sections -> i;
        f := format('%s.sections[%s]', p_field, i);
        v_name := catalogue_text(v_section, 'name', f);
        v_price := catalogue_id(v_section, 'price', f);
        IF jsonb_typeof(v_section -> 'seats') IS DISTINCT FROM 'array'
           OR jsonb_array_length(v_section -> 'seats') <> 2
           OR (v_section -> 'seats' ->> 0) !~ '^[1-9][0-9]{0,5}$'
           OR (v_section -> 'seats' ->> 1) !~ '^[1-9][0-9]{0,5}$' THEN
            PERFORM catalogue_fault(f || '.seats',
                'a range of seat numbers is needed: [first, last], each 1-999999');
        END IF;
        v_from := (v_section -> 'seats' ->> 0)::bigint;
        v_to := (v_section -> 'seats' ->> 1)::bigint;
        IF v_from > v_to THEN
            PERFORM catalogue_fault(f || '.seats', format('%s comes after %s', v_from, v_to));
        END IF;
        v_range := int4range(v_from::integer, v_to::integer, '[]');
        SELECT r INTO v_range FROM unnest(v_ranges) r WHERE r && v_range LIMIT 1;
        IF FOUND THEN
            PERFORM catalogue_fault(f || '.seats', format(
                'seats %s-%s are in another section of this schedule too (%s-%s)',
                v_from, v_to, lower(v_range), upper(v_range) - 1));
        END IF;
        v_ranges := v_ranges || int4range(v_from::integer, v_to::integer, '[]');
        RETURN QUERY SELECT n, v_price, v_name FROM generate_series(v_from::integer, v_to::integer) n;
    END LOOP;
END
$$;

-- Loads the document: result counts what it made or changed.
CREATE OR REPLACE FUNCTION catalogue_load(p_doc jsonb,
    OUT concerts integer, OUT schedules integer, OUT seats integer)
LANGUAGE plpgsql
SET search_path = public, pg_temp AS $$
DECLARE
    v_concerts jsonb := catalogue_list(p_doc, 'concerts', '$');
    v_concert jsonb;
    v_schedule jsonb;
    v_cid bigint;
    v_sid bigint;
    v_title text;
    v_date date;
    v_starts timestamptz;
    v_zone text;
    v_taken text;
    v_n integer;
    i integer;
    j integer;
    f text;
BEGIN
    concerts := 0; schedules := 0; seats := 0;
    CREATE TEMP TABLE catalogue_seats (schedule_id bigint, seat_num integer,
        price bigint, section text, field text, PRIMARY KEY (schedule_id, seat_num))
        ON COMMIT DROP;
    -- first everything checked, nothing written
    FOR i IN 0 .. jsonb_array_length(v_concerts) - 1 LOOP
        v_concert := v_concerts -> i;
        f := format('concerts[%s]', i);
        v_cid := catalogue_id(v_concert, 'concertId', f);
        PERFORM catalogue_text(v_concert, 'title', f);
        IF (SELECT count(*) FROM jsonb_array_elements(v_concerts) c
             WHERE c ->> 'concertId' = v_cid::text) > 1 THEN
            PERFORM catalogue_fault(f || '.concertId', format('%s comes twice', v_cid));
        END IF;
        FOR j IN 0 .. jsonb_array_length(catalogue_list(v_concert, 'schedules', f)) - 1 LOOP
            v_schedule := v_concert -> 'schedules' -> j;
            v_sid := catalogue_id(v_schedule, 'scheduleId', f || format('.schedules[%s]', j));
            IF EXISTS (SELECT 1 FROM catalogue_seats WHERE schedule_id = v_sid) THEN
                PERFORM catalogue_fault(f || format('.schedules[%s].scheduleId', j),
                                        format('%s comes twice', v_sid));
            END IF;
            IF (SELECT count(*) FROM jsonb_array_elements(v_concert -> 'schedules') s
                 WHERE s ->> 'date' = v_schedule ->> 'date') > 1 THEN
                PERFORM catalogue_fault(f || format('.schedules[%s].date', j), format(
                    'the concert has another schedule on %s', v_schedule ->> 'date'));
            END IF;
            INSERT INTO catalogue_seats
            SELECT v_sid, s.seat_num, s.price, s.section, f || format('.schedules[%s]', j)
              FROM catalogue_schedule_seats(v_schedule, f || format('.schedules[%s]', j)) s;
        END LOOP;
    END LOOP;

    -- what a live hold or a booking depends on stays as it is
    SELECT string_agg(format('%s: seat %s (%s)', c.field, c.seat_num,
                             CASE WHEN st.booked_ticket_id IS NOT NULL THEN 'sold' ELSE 'held' END),
                      '; ' ORDER BY c.schedule_id, c.seat_num)
      INTO v_taken
      FROM catalogue_seats c JOIN seats st
        ON st.schedule_id = c.schedule_id AND st.seat_num = c.seat_num
     WHERE (st.price <> c.price OR st.section IS DISTINCT FROM c.section)
       AND (st.booked_ticket_id IS NOT NULL OR st.hold_until > clock_timestamp());
    IF v_taken IS NOT NULL THEN
        PERFORM catalogue_fault('seats', 'these are held or sold, their price and section '
                                || 'cannot change: ' || v_taken);
    END IF;

    FOR i IN 0 .. jsonb_array_length(v_concerts) - 1 LOOP
        v_concert := v_concerts -> i;
        v_cid := (v_concert ->> 'concertId')::bigint;
        v_title := v_concert ->> 'title';
        INSERT INTO concerts (concert_id, title) VALUES (v_cid, v_title)
        ON CONFLICT (concert_id) DO UPDATE SET title = EXCLUDED.title
         WHERE concerts.title IS DISTINCT FROM EXCLUDED.title;
        GET DIAGNOSTICS v_n = ROW_COUNT;
        concerts := concerts + v_n;
        FOR j IN 0 .. jsonb_array_length(v_concert -> 'schedules') - 1 LOOP
            v_schedule := v_concert -> 'schedules' -> j;
            f := format('concerts[%s].schedules[%s]', i, j);
            v_sid := (v_schedule ->> 'scheduleId')::bigint;
            v_date := (v_schedule ->> 'date')::date;
            v_starts := (v_schedule ->> 'startsAt')::timestamptz;
            v_zone := v_schedule ->> 'timeZone';
            IF EXISTS (SELECT 1 FROM schedules s WHERE s.schedule_id = v_sid
                          AND s.concert_id <> v_cid) THEN
                PERFORM catalogue_fault(f || '.scheduleId', format(
                    'schedule %s belongs to another concert', v_sid));
            END IF;
            IF EXISTS (SELECT 1 FROM schedules s JOIN seats st ON st.schedule_id = s.schedule_id
                        WHERE s.schedule_id = v_sid
                          AND (s.concert_date, s.starts_at) IS DISTINCT FROM (v_date, v_starts)
                          AND (st.booked_ticket_id IS NOT NULL OR st.hold_until > clock_timestamp())) THEN
                PERFORM catalogue_fault(f || '.startsAt', format(
                    'schedule %s has held or sold seats: its date and start cannot change', v_sid));
            END IF;
            INSERT INTO schedules (schedule_id, concert_id, concert_date, starts_at, time_zone)
            VALUES (v_sid, v_cid, v_date, v_starts, v_zone)
            ON CONFLICT (schedule_id) DO UPDATE
               SET concert_date = EXCLUDED.concert_date, starts_at = EXCLUDED.starts_at,
                   time_zone = EXCLUDED.time_zone
             WHERE (schedules.concert_date, schedules.starts_at, schedules.time_zone)
                   IS DISTINCT FROM (EXCLUDED.concert_date, EXCLUDED.starts_at, EXCLUDED.time_zone);
            GET DIAGNOSTICS v_n = ROW_COUNT;
            schedules := schedules + v_n;
        END LOOP;
    END LOOP;

    INSERT INTO seats (schedule_id, seat_num, price, section)
    SELECT schedule_id, seat_num, price, section FROM catalogue_seats
     ORDER BY schedule_id, seat_num
    ON CONFLICT (schedule_id, seat_num) DO UPDATE
       SET price = EXCLUDED.price, section = EXCLUDED.section
     WHERE (seats.price, seats.section) IS DISTINCT FROM (EXCLUDED.price, EXCLUDED.section);
    GET DIAGNOSTICS seats = ROW_COUNT;

    -- ids the file chose: the identities go on after them
    PERFORM setval(pg_get_serial_sequence('concerts', 'concert_id'),
                   greatest((SELECT max(concert_id) FROM concerts), 1));
    PERFORM setval(pg_get_serial_sequence('schedules', 'schedule_id'),
                   greatest((SELECT max(schedule_id) FROM schedules), 1));
END
$$;
