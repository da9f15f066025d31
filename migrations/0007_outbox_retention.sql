-- outbox-relay deletes rows published over a week ago; this finds them without scanning the
-- unpublished ones. Built without blocking the outbox's writes.
-- migrate: no-transaction
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_outbox_published
  ON outbox(published_at) WHERE published_at IS NOT NULL;
