-- migrate: no-transaction
-- The indexes the nightly lead scoring reads through (gap 9). communication_logs is large on the
-- live database, so they are built without blocking writers.
-- Leads in id order: the cron walks them in batches of keys.
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_children_leads ON children (id) WHERE status = 'lead';
-- A child's messages by direction and time (inbound in the window, the latest outbound before).
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_communication_logs_child_direction
  ON communication_logs (child_id, direction, created_at) INCLUDE (status);
-- Parent-level messages (the dispatcher writes rows without a child).
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_communication_logs_parent_direction
  ON communication_logs (parent_id, direction, created_at) INCLUDE (status) WHERE child_id IS NULL;
-- A coach's active enrollments (coach matching counts them for every active coach).
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_enrollments_coach_active ON enrollments (coach_id) WHERE status = 'active';
