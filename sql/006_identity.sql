-- 006_identity.sql: users are found by the name the site's
-- authentication gives them (TicketIdentity RemoteUser): one user per
-- name, and the column says what it holds.

ALTER TABLE users RENAME COLUMN name TO user_name;
CREATE UNIQUE INDEX users_user_name ON users (user_name);
