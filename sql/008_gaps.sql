-- 008_gaps.sql: numbers that never were entries. A sequence skips up to
-- 32 numbers after a database crash (it logs ahead), and a failed entry
-- leaves one: the admission job finds them among the numbers drawn since
-- its last look, keeps the largest few above head, and hosts leave them
-- out of positions (waiting polls still ask no database). This holds
-- while tokens get their numbers from the identity's sequence one at a
-- time (no CACHE, no setval) and admission runs READ COMMITTED (it
-- checks): then every number below the one it sees last is settled.

ALTER TABLE queue_state
    ADD COLUMN gaps bigint[] NOT NULL DEFAULT '{}',   -- lo, hi, lo, hi, …
    ADD COLUMN gaps_scanned bigint NOT NULL DEFAULT 0; -- numbers looked at
ALTER TYPE ticket_queue_view ADD ATTRIBUTE gaps bigint[];
-- what was drawn before this migration is not looked at again
UPDATE queue_state SET gaps_scanned = (SELECT coalesce(max(seq), 0) FROM queue_tokens);
