-- migrate: no-transaction
-- The indexed ranges the nightly run finds its work through (issue 26), built without blocking
-- writers: messages by time (those that entered or left a lead's window between two nows), and
-- the leads never scored.
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_communication_logs_created ON communication_logs (created_at);
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_children_leads_unscored ON children (id) WHERE status = 'lead' AND lead_score IS NULL;
