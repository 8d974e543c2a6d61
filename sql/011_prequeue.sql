-- 011_prequeue.sql: TicketSaleStart's pre-queue. Until the start nobody
-- is admitted; at the start, the first admission run gives everyone who
-- entered before it a uniformly random place: their numbers base+1 ..
-- base+size are put in the order of a keyed permutation
-- (sql/functions/15_shuffle.sql, the same in C: hosts compute a waiting
-- token's place from the key and size their snapshot carries, with no
-- database statement). The key is drawn once, in that run, from the
-- database's strong random source, after the pre-queue has closed.

ALTER TABLE queue_state
    ADD COLUMN shuffle_start timestamptz,           -- the start it is for
    ADD COLUMN shuffle_key bytea CHECK (octet_length(shuffle_key) = 16),
    ADD COLUMN shuffle_base bigint NOT NULL DEFAULT 0,
    ADD COLUMN shuffle_size bigint NOT NULL DEFAULT 0,
    ADD COLUMN shuffle_done bigint NOT NULL DEFAULT 0, -- places passed
    -- the operator's controls the last admission run had (hosts of one
    -- database must agree; a run that finds others logs TICKET028)
    ADD COLUMN controls text;
ALTER TYPE ticket_queue_view
    ADD ATTRIBUTE shuffle_start_us bigint,
    ADD ATTRIBUTE shuffle_key text,                 -- hex
    ADD ATTRIBUTE shuffle_base bigint,
    ADD ATTRIBUTE shuffle_size bigint,
    ADD ATTRIBUTE shuffle_done bigint;

-- ticket_admit takes the sale's start from now on, and says when the
-- controls of the run before differ; a token is claimed with its user
DROP FUNCTION IF EXISTS ticket_admit(integer, integer, boolean, integer, integer, integer);
DROP FUNCTION IF EXISTS ticket_token_claim(bigint);
