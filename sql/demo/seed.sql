-- demo/seed.sql: the demo's users for `make run` (psql -v users=N -v
-- runtime=ROLE, as the owner of the schema). Safe to run at every start:
-- users 1..N exist with an account and a login. (The concerts come from a
-- catalogue, scripts/demo-catalogue.sh, loaded like a real sale's.)

INSERT INTO users (user_id, user_name)
SELECT g, 'user' || g FROM generate_series(1, :users) AS g
ON CONFLICT (user_id) DO NOTHING;
SELECT setval(pg_get_serial_sequence('users', 'user_id'),
              greatest((SELECT max(user_id) FROM users), 1));
INSERT INTO accounts (user_id) SELECT user_id FROM users
ON CONFLICT (user_id) DO NOTHING;

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
