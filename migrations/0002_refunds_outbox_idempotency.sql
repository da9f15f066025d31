-- Gap 1: refunds as a forward-only state machine, plus the outbox and idempotency keys every
-- function shares (DESIGN §3, §4).
CREATE TABLE IF NOT EXISTS enrollment_terminations (
  id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
  enrollment_id UUID NOT NULL REFERENCES enrollments(id),
  terminated_by TEXT NOT NULL CHECK (terminated_by IN ('parent', 'admin', 'system')),
  termination_reason TEXT NOT NULL,
  termination_notes TEXT,
  sessions_total INTEGER NOT NULL CHECK (sessions_total > 0),
  sessions_completed INTEGER NOT NULL CHECK (sessions_completed >= 0),
  sessions_remaining INTEGER NOT NULL CHECK (sessions_remaining >= 0),
  original_amount BIGINT NOT NULL CHECK (original_amount >= 0),
  refund_amount BIGINT NOT NULL CHECK (refund_amount >= 0),
  coach_settlement_amount BIGINT NOT NULL CHECK (coach_settlement_amount >= 0),
  platform_retention BIGINT NOT NULL CHECK (platform_retention >= 0),
  razorpay_payment_id TEXT NOT NULL,
  razorpay_refund_id TEXT UNIQUE,
  refund_status TEXT NOT NULL DEFAULT 'pending'
    CHECK (refund_status IN ('pending', 'processing', 'completed', 'failed')),
  refund_initiated_at TIMESTAMPTZ,
  refund_completed_at TIMESTAMPTZ,
  refund_failure_reason TEXT,
  created_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),
  updated_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),
  created_by TEXT NOT NULL,
  CONSTRAINT terminations_parts_sum CHECK (
    refund_amount + coach_settlement_amount + platform_retention = original_amount)
);

CREATE INDEX IF NOT EXISTS idx_terminations_enrollment ON enrollment_terminations(enrollment_id);
CREATE INDEX IF NOT EXISTS idx_terminations_status ON enrollment_terminations(refund_status);
-- At most one termination per enrollment that is not failed: two admins cannot refund twice.
CREATE UNIQUE INDEX IF NOT EXISTS uq_terminations_one_active
  ON enrollment_terminations(enrollment_id) WHERE refund_status <> 'failed';

CREATE TABLE IF NOT EXISTS outbox (
  id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
  topic TEXT NOT NULL,
  payload JSONB NOT NULL,
  created_at TIMESTAMPTZ NOT NULL DEFAULT clock_timestamp(),
  published_at TIMESTAMPTZ,
  attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),
  last_error TEXT
);
CREATE INDEX IF NOT EXISTS idx_outbox_unpublished
  ON outbox(next_attempt_at, created_at) WHERE published_at IS NULL;

CREATE TABLE IF NOT EXISTS idempotency_keys (
  scope TEXT NOT NULL,
  key TEXT NOT NULL,
  request_hash TEXT NOT NULL,
  response_status INTEGER,
  response_body JSONB,
  created_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),
  PRIMARY KEY (scope, key)
);
