-- 007_sweep.sql: idempotency keys are forgotten after 24 hours; the
-- admission job deletes them, a batch a minute, by their age.

ALTER TABLE queue_state ADD COLUMN keys_swept_at timestamptz NOT NULL
    DEFAULT '-infinity';
CREATE INDEX charge_requests_created_at ON charge_requests (created_at);
