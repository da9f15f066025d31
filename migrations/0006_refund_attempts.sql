-- A refund that Razorpay failed can be tried again (POST /admin/refunds/{id}/retry): the
-- termination counts its attempts (the idempotency key of attempt n > 1 is "<id>_<n>") and every
-- attempt that ended is kept here.
ALTER TABLE enrollment_terminations ADD COLUMN IF NOT EXISTS refund_attempt INTEGER NOT NULL DEFAULT 1;

CREATE TABLE IF NOT EXISTS refund_attempts (
  termination_id UUID NOT NULL REFERENCES enrollment_terminations(id),
  attempt INTEGER NOT NULL,
  razorpay_refund_id TEXT,
  failure_reason TEXT,
  ended_at TIMESTAMPTZ NOT NULL,
  retried_by TEXT NOT NULL,
  retried_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),
  PRIMARY KEY (termination_id, attempt)
);
