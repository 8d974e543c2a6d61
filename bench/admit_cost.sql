-- admit_cost.sql (psql -v waiting=W -v serving=S, as the owner): a queue
-- with S tokens in service and W waiting behind them, as the admission
-- job finds it, for `make bench`'s admission-cost runs.
TRUNCATE queue_tokens RESTART IDENTITY CASCADE;
INSERT INTO users (user_id, user_name)
SELECT g, 'cost' || g FROM generate_series(1, :serving + :waiting) g
ON CONFLICT DO NOTHING;
INSERT INTO queue_tokens (user_id, state, admitted_at, expires_at)
SELECT g, 'service', now(), now() + interval '1 day'
  FROM generate_series(1, :serving) g;
INSERT INTO queue_tokens (user_id)
SELECT g FROM generate_series(:serving + 1, :serving + :waiting) g;
UPDATE queue_state
   SET head = :serving, waiting = :waiting, in_service = :serving,
       advanced_at = now(), recounted_at = now(), rate_counted_at = now(),
       gaps = '{}', gaps_scanned = :serving + :waiting, controls = NULL;
VACUUM ANALYZE queue_tokens;
