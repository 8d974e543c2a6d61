-- 005_queue_view.sql: the queue as hosts copy it into their snapshot,
-- one type for every function and statement that hands it out.

CREATE TYPE ticket_queue_view AS (
    head                  bigint,   -- highest seq not waiting
    waiting               bigint,
    admitted_last_minute  bigint,
    in_service            bigint,
    advanced_us           bigint    -- advanced_at, microseconds since 1970
);
