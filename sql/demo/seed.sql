-- demo/seed.sql: demo data for `make run` (psql -v users=N -v
-- runtime=ROLE, as the owner of the schema). Safe to run
-- at every start: users 1..N exist with an account, each concert keeps two
-- schedules of 50 seats in the future.

INSERT INTO users (user_id, user_name)
SELECT g, 'user' || g FROM generate_series(1, :users) AS g
ON CONFLICT (user_id) DO NOTHING;
SELECT setval(pg_get_serial_sequence('users', 'user_id'),
              greatest((SELECT max(user_id) FROM users), 1));
INSERT INTO accounts (user_id) SELECT user_id FROM users
ON CONFLICT (user_id) DO NOTHING;

INSERT INTO concerts (concert_id, title)
VALUES (1, '아이유 콘서트 HEREH'), (2, '성시경 연말 콘서트'), (3, '뉴진스 팬미팅 Bunnies Camp')
ON CONFLICT (concert_id) DO NOTHING;
SELECT setval(pg_get_serial_sequence('concerts', 'concert_id'),
              (SELECT max(concert_id) FROM concerts));

-- two future dates per concert, 14 and 15 days (plus the concert's number)
-- from today, 19:00 in Seoul
INSERT INTO schedules (concert_id, concert_date, starts_at)
SELECT c.concert_id, d, (d + time '19:00') AT TIME ZONE 'Asia/Seoul'
  FROM concerts c,
       LATERAL (SELECT current_date + 14 + c.concert_id::int + k AS d
                  FROM generate_series(0, 1) AS k) AS dates
 WHERE (SELECT count(*) FROM schedules s
         WHERE s.concert_id = c.concert_id AND s.starts_at > now()) < 2
ON CONFLICT (concert_id, concert_date) DO NOTHING;

INSERT INTO seats (schedule_id, seat_num, price)
SELECT s.schedule_id, n, CASE WHEN n <= 10 THEN 165000
                              WHEN n <= 30 THEN 132000 ELSE 99000 END
  FROM schedules s, generate_series(1, 50) AS n
 ORDER BY s.schedule_id, n
ON CONFLICT (schedule_id, seat_num) DO NOTHING;

-- make run IDENTITY=remote-user: HTTP Basic against these (mod_authn_dbd).
-- Every demo user's password is "demo" (bcrypt, as htpasswd -B makes it).
CREATE TABLE IF NOT EXISTS demo_logins (
    user_name      text PRIMARY KEY REFERENCES users (user_name),
    password_hash  text NOT NULL
);
INSERT INTO demo_logins (user_name, password_hash)
SELECT user_name, '$2y$05$25XJZ14TJZNVv4L.UoZAEOv/AsK5j/R/PPJ1s0HTIbm.W6fV/qdPK'
  FROM users WHERE user_id <= :users
ON CONFLICT (user_name) DO NOTHING;
-- mod_authn_dbd reads it through the module's connections
GRANT SELECT ON demo_logins TO :"runtime";
