-- bench/data.sql: the benchmark's data (psql -v n=… -v h=…). Users:
--   1..n             new users for the queue-entry scenario (no token)
--   n+1..2n          payers: one held ticket each, balance = its price
--   2n+1..2n+h       service users: holds (50 seats each, spread so that
--                    concurrent holds are of different users), charges, lookups
-- Their service tokens are numbered payers first, so CAPACITY = n + h
-- admits no one else. IDs are explicit so that request files can be
-- written without asking the database again.
INSERT INTO users (user_id, user_name)
SELECT g, 'bench' || g FROM generate_series(1, 2 * :n + :h) g;
INSERT INTO accounts (user_id, balance)
SELECT user_id, CASE WHEN user_id BETWEEN :n + 1 AND 2 * :n THEN 10000 ELSE 0 END
  FROM users;
INSERT INTO queue_tokens (user_id, state, admitted_at, expires_at)
SELECT g, 'service', now(), now() + interval '1 day'
  FROM generate_series(:n + 1, 2 * :n + :h) g ORDER BY g;

-- concert 1: lookups (2 schedules of 50 seats); 2: holds; 3: payments
INSERT INTO concerts (concert_id, title) VALUES
    (1, 'bench lookups'), (2, 'bench holds'), (3, 'bench payments');
INSERT INTO schedules (schedule_id, concert_id, concert_date, starts_at)
SELECT k, 1, current_date + 10 + k, now() + (10 + k) * interval '1 day'
  FROM generate_series(1, 2) k;
INSERT INTO seats (schedule_id, seat_num, price)
SELECT s, n, 99000 FROM generate_series(1, 2) s, generate_series(1, 50) n;

-- 1000 seats per schedule, one schedule per date
INSERT INTO schedules (schedule_id, concert_id, concert_date, starts_at)
SELECT c * 100000 + k, c, current_date + 20 + k, now() + (20 + k) * interval '1 day'
  FROM generate_series(2, 3) c, generate_series(0, (:n - 1) / 1000) k;
INSERT INTO seats (seat_id, schedule_id, seat_num, price)
SELECT c * 10000000 + i, c * 100000 + i / 1000, i % 1000 + 1, 10000
  FROM generate_series(2, 3) c, generate_series(0, :n - 1) i;

-- every payment seat held by its payer
INSERT INTO tickets (ticket_id, seat_id, user_id, price, hold_until)
SELECT 30000000 + i, 30000000 + i, :n + 1 + i, 10000, now() + interval '1 day'
  FROM generate_series(0, :n - 1) i;
UPDATE seats SET hold_ticket_id = seat_id, hold_until = now() + interval '1 day'
 WHERE seat_id >= 30000000;

UPDATE queue_state SET head = (SELECT max(seq) FROM queue_tokens), waiting = 0;
ANALYZE users, accounts, queue_tokens, concerts, schedules, seats, tickets;
