-- 004_money.sql: what payments keep for their replays.
-- (The functions of money are code, in sql/functions/.)

-- The body of a payment's first answer, kept for its replays.
ALTER TABLE tickets ADD COLUMN paid_token_stat text
    CHECK (paid_token_stat IN ('expire', 'service'));
