-- 010_operator.sql: what the operator controls need (TicketQueue Paused,
-- TicketAdmitRate, TicketClaimTimeout) and what an honest etaSeconds needs.

-- When a token admitted to service was first used (a poll that saw it
-- admitted, or a request to endpoints 3-9): an admitted token unused for
-- TicketClaimTimeout seconds gives its slot to the next one.
ALTER TABLE queue_tokens ADD COLUMN claimed_at timestamptz;
CREATE INDEX queue_tokens_unclaimed ON queue_tokens (admitted_at)
    WHERE state = 'service' AND claimed_at IS NULL;

ALTER TABLE queue_state
    -- TicketAdmitRate's allowance: admissions it may make now (a token
    -- bucket refilled at rate/60 a second, at most one run's share), as
    -- of rate_refilled_at; one row for all hosts, so the rate is exact
    ADD COLUMN rate_allowance double precision NOT NULL DEFAULT 0,
    ADD COLUMN rate_refilled_at timestamptz NOT NULL DEFAULT '-infinity',
    -- service ends before their time (payments, claim timeouts) in the
    -- minute before rate_counted_at: while there are none, the expiry
    -- times bound when a slot frees
    ADD COLUMN early_ends_last_minute bigint NOT NULL DEFAULT 0,
    -- the earliest expires_at of the tokens in service, by rank: rank,
    -- microseconds since 1970, rank, ... (ranks 1-8, 16, 32, ... 1024)
    ADD COLUMN expiries bigint[] NOT NULL DEFAULT '{}';
ALTER TYPE ticket_queue_view
    ADD ATTRIBUTE early_ends_last_minute bigint,
    ADD ATTRIBUTE expiries bigint[];

-- ticket_admit takes the operator's controls from now on
DROP FUNCTION IF EXISTS ticket_admit(integer, integer);
