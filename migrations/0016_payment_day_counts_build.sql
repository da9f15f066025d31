-- migrate: no-transaction
-- Builds the per-day counts of migration 0015 from the existing payments, a month of days per
-- batch, each batch committed on its own (writers wait only while one batch is recounted).
CALL yt_build_payment_day_counts(31);
