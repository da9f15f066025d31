-- migrate: no-transaction
-- The indexed range the nightly run finds the window's movements through (issue 26), built
-- without blocking writers: messages by time (those that entered or left a lead's window between
-- two nows). Nothing indexes the scores themselves: an index on a score column would make every
-- score write a non-HOT update of every index of children.
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_communication_logs_created ON communication_logs (created_at);
