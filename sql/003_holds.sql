-- 003_holds.sql: the index the lookups and holds read schedules by.
-- (The functions of holds are code, in sql/functions/.)

CREATE INDEX schedules_concert_start ON schedules (concert_id, starts_at);
