-- 009_catalogue.sql: what a catalogue file (make catalogue) says of a
-- schedule and a seat beyond their numbers: the venue's time zone, and
-- the seat's section (the seat map's price groups).

ALTER TABLE schedules ADD COLUMN time_zone text;
ALTER TABLE seats ADD COLUMN section text;
