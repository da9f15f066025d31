-- migrate: no-transaction
-- The list's deep pages from the index alone (issue 26): a page picks its payments' ids by
-- skipping `(page - 1) × limit` entries of the newest-first index, and `status` is now in that
-- index, so the skipped entries are read from index pages and only the page's own rows from the
-- table (before, every skipped payment was fetched from its table page to test its status: 2,400
-- scattered table pages for the hundredth page). The same index serves the partial hours of the
-- list's total. It replaces `idx_payments_created` (the same key), built first, without
-- blocking writers.
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_payments_created_status
  ON payments (created_at DESC, id DESC) INCLUDE (status);
DROP INDEX CONCURRENTLY IF EXISTS idx_payments_created;
