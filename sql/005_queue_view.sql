-- 005_queue_view.sql: the queue as hosts copy it into their snapshot,
-- one type for every function and statement that hands it out.

CREATE TYPE ticket_queue_view AS (
    head                  bigint,   -- highest seq not waiting
    waiting               bigint,
    admitted_last_minute  bigint,
    in_service            bigint,
    advanced_us           bigint    -- advanced_at, microseconds since 1970
);

-- The functions that returned the queue as six columns of their own go;
-- sql/functions/ makes them again with this type. (ticket_enter also takes
-- the caller's name since 006.)
DROP FUNCTION IF EXISTS ticket_enter(bigint, boolean);
DROP FUNCTION IF EXISTS ticket_admit(integer, integer);
