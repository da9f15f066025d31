-- migrate: no-transaction
-- Builds the per-hour counts of migration 0021 beside the per-day ones from the existing
-- payments, a month of days per batch, each batch committed on its own (writers wait only while
-- one batch is recounted).
CALL yt_build_payment_day_counts(31);
