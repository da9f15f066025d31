-- Gaps 1.4 and 2: Razorpay webhooks recorded once per event id, failed payments (one row per
-- Razorpay payment) and retry links stored as a SHA-256 hash, never in clear.
CREATE TABLE IF NOT EXISTS webhook_events (
  id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
  provider TEXT NOT NULL,
  event_id TEXT NOT NULL,
  event_type TEXT NOT NULL,
  raw_payload TEXT NOT NULL,
  received_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),
  processed_at TIMESTAMPTZ,
  error TEXT,
  CONSTRAINT uq_webhook_events_provider_event UNIQUE (provider, event_id)
);
CREATE INDEX IF NOT EXISTS idx_webhook_events_type ON webhook_events(provider, event_type, received_at);

CREATE TABLE IF NOT EXISTS failed_payments (
  id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
  razorpay_payment_id TEXT NOT NULL,
  razorpay_order_id TEXT NOT NULL,
  error_code TEXT,
  error_description TEXT,
  error_reason TEXT,
  parent_email TEXT,
  parent_phone TEXT,
  parent_name TEXT,
  child_name TEXT,
  amount BIGINT CHECK (amount >= 0),
  currency TEXT NOT NULL DEFAULT 'INR',
  notified BOOLEAN NOT NULL DEFAULT FALSE,
  retry_count INTEGER NOT NULL DEFAULT 0,
  converted_at TIMESTAMPTZ,
  created_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),
  CONSTRAINT uq_failed_payments_payment UNIQUE (razorpay_payment_id)
);
CREATE INDEX IF NOT EXISTS idx_failed_payments_order ON failed_payments(razorpay_order_id);
CREATE INDEX IF NOT EXISTS idx_failed_payments_open ON failed_payments(created_at) WHERE converted_at IS NULL;

CREATE TABLE IF NOT EXISTS payment_retry_tokens (
  id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
  order_id TEXT NOT NULL,
  token_hash TEXT NOT NULL,
  failed_payment_id UUID REFERENCES failed_payments(id),
  expires_at TIMESTAMPTZ NOT NULL,
  parent_email TEXT,
  used_at TIMESTAMPTZ,
  created_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),
  CONSTRAINT uq_retry_tokens_hash UNIQUE (token_hash)
);
CREATE INDEX IF NOT EXISTS idx_retry_tokens_order ON payment_retry_tokens(order_id);
CREATE INDEX IF NOT EXISTS idx_payments_order ON payments(razorpay_order_id);
