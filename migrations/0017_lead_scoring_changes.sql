-- Nightly lead scoring by what changed (issue 26). A lead's score moves only when its inputs do:
-- its messages, its parent-level messages, its assessment, its discovery calls, its status — or
-- when a message enters or leaves the 30-day window, which happens with no write at all.
--
-- Writes to the inputs mark the lead here, by triggers in the writer's own transaction (a new
-- lead, and a score cleared, are marked too: never scored); the cron scores the marked leads and
-- the leads whose window moved between the nows it has scored at (found through
-- communication_logs' created_at index, migration 0018), and
-- takes a lead's mark away in the transaction that scores it (a mark made meanwhile waits for
-- that transaction and stays for the next run).
CREATE TABLE IF NOT EXISTS lead_score_dirty (
  child_id UUID PRIMARY KEY,
  marked_at TIMESTAMPTZ NOT NULL DEFAULT NOW()
);

-- What the stored scores are exact for: every lead's stored score is its score at some `now` in
-- [span_lo, span_hi] given the data as it is, unless the lead is marked. A run widens the span to
-- its own now before it looks for work; a run that scored every candidate, with no other run
-- started after it or still working, narrows it to its now. `started` counts runs; `rule_version`
-- is the rule the scores were computed with (another one means a full run); `completed_at` NULL
-- means no full run yet (the first run is a full one).
CREATE TABLE IF NOT EXISTS lead_scoring_state (
  id BOOLEAN PRIMARY KEY DEFAULT TRUE CHECK (id),
  span_lo TIMESTAMPTZ,
  span_hi TIMESTAMPTZ,
  started BIGINT NOT NULL DEFAULT 0,
  rule_version INT,
  completed_at TIMESTAMPTZ
);
INSERT INTO lead_scoring_state (id) VALUES (TRUE) ON CONFLICT (id) DO NOTHING;

-- A message marks its child, or every lead of its parent when it has no child.
CREATE OR REPLACE FUNCTION yt_lead_mark_message(child UUID, parent UUID) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
  IF child IS NOT NULL THEN
    INSERT INTO lead_score_dirty (child_id) VALUES (child) ON CONFLICT (child_id) DO NOTHING;
  ELSIF parent IS NOT NULL THEN
    INSERT INTO lead_score_dirty (child_id)
      SELECT c.id FROM children c WHERE c.parent_id = parent AND c.status = 'lead'
      ON CONFLICT (child_id) DO NOTHING;
  END IF;
END $$;

CREATE OR REPLACE FUNCTION yt_lead_dirty_message() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP IN ('UPDATE', 'DELETE') THEN
    PERFORM yt_lead_mark_message(OLD.child_id, OLD.parent_id);
  END IF;
  IF TG_OP IN ('UPDATE', 'INSERT') THEN
    PERFORM yt_lead_mark_message(NEW.child_id, NEW.parent_id);
  END IF;
  RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION yt_lead_dirty_child() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.status = 'lead' OR (TG_OP = 'UPDATE' AND OLD.status = 'lead') THEN
    INSERT INTO lead_score_dirty (child_id) VALUES (NEW.id) ON CONFLICT (child_id) DO NOTHING;
  END IF;
  RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION yt_lead_dirty_call() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP IN ('UPDATE', 'DELETE') AND OLD.child_id IS NOT NULL THEN
    INSERT INTO lead_score_dirty (child_id) VALUES (OLD.child_id) ON CONFLICT (child_id) DO NOTHING;
  END IF;
  IF TG_OP IN ('UPDATE', 'INSERT') AND NEW.child_id IS NOT NULL THEN
    INSERT INTO lead_score_dirty (child_id) VALUES (NEW.child_id) ON CONFLICT (child_id) DO NOTHING;
  END IF;
  RETURN NULL;
END $$;

DROP TRIGGER IF EXISTS trg_lead_dirty_message ON communication_logs;
CREATE TRIGGER trg_lead_dirty_message
  AFTER INSERT OR DELETE OR UPDATE OF child_id, parent_id, direction, status, created_at
  ON communication_logs FOR EACH ROW EXECUTE FUNCTION yt_lead_dirty_message();
DROP TRIGGER IF EXISTS trg_lead_dirty_child ON children;
CREATE TRIGGER trg_lead_dirty_child
  AFTER INSERT OR UPDATE OF status, assessment_completed, parent_id
  ON children FOR EACH ROW EXECUTE FUNCTION yt_lead_dirty_child();
-- A score cleared by hand (never scored again) marks the lead too; the WHEN is checked without
-- calling the function, so the cron's own score writes cost nothing here.
DROP TRIGGER IF EXISTS trg_lead_dirty_unscored ON children;
CREATE TRIGGER trg_lead_dirty_unscored
  AFTER UPDATE OF lead_score ON children FOR EACH ROW
  WHEN (NEW.lead_score IS NULL AND OLD.lead_score IS NOT NULL)
  EXECUTE FUNCTION yt_lead_dirty_child();
DROP TRIGGER IF EXISTS trg_lead_dirty_call ON discovery_calls;
CREATE TRIGGER trg_lead_dirty_call
  AFTER INSERT OR DELETE OR UPDATE OF child_id, status
  ON discovery_calls FOR EACH ROW EXECUTE FUNCTION yt_lead_dirty_call();
