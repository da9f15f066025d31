-- Gap 3: indexes for the admin payments dashboard. The list pages newest first, the stats sum
-- captured money by capture time (index-only), and the search looks inside names, emails and
-- phones (trigram indexes). Built CONCURRENTLY, outside a transaction: payments takes writes
-- (captures, webhooks) while an index builds on a live database.
-- migrate: no-transaction
CREATE EXTENSION IF NOT EXISTS pg_trgm;

CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_payments_created ON payments(created_at DESC, id DESC);
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_payments_status_created ON payments(status, created_at DESC, id DESC);
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_payments_parent ON payments(parent_id);
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_payments_captured_revenue
  ON payments(captured_at) INCLUDE (amount, currency) WHERE status IN ('captured', 'refunded');
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_terminations_payment ON enrollment_terminations(razorpay_payment_id);
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_terminations_refunded
  ON enrollment_terminations(refund_initiated_at) INCLUDE (refund_amount)
  WHERE refund_status IN ('processing', 'completed');
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_parents_email_trgm ON parents USING gin (email gin_trgm_ops);
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_parents_phone_trgm ON parents USING gin (phone gin_trgm_ops);
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_parents_name_trgm ON parents USING gin (name gin_trgm_ops);
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_children_name_trgm ON children USING gin (name gin_trgm_ops);
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_enrollments_child_name_trgm ON enrollments USING gin (child_name gin_trgm_ops);
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_enrollments_child ON enrollments(child_id);
