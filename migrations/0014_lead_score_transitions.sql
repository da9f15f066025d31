-- Lead scoring records every tier transition once (issue 22). A change row used to be unique per
-- (child, run): a replay of a night after its data was corrected (same "now") could not record
-- the transition it made, and its digest never went out. A transition is recorded by the same
-- statement that moves the child's tier, under the row lock, so it cannot be recorded twice; the
-- uniqueness is not needed for that, and it is dropped. Its index stays, as a plain one (the
-- child's history, and the foreign key's cascade).
CREATE INDEX IF NOT EXISTS idx_lead_score_changes_child_run ON lead_score_changes (child_id, run_at);
ALTER TABLE lead_score_changes DROP CONSTRAINT IF EXISTS lead_score_changes_child_id_run_at_key;

-- One run of a given "now" at a time: two deliveries of the same night (or two replays started
-- together) would interleave their batches and each send a digest of what it saw. A run claims
-- its "now" here, keeps the claim fresh with every batch, and marks it finished; another run of
-- the same "now" while the claim is fresh does nothing. A claim not refreshed for two minutes
-- (the run died) can be taken over.
CREATE TABLE IF NOT EXISTS lead_scoring_runs (
  run_at TIMESTAMPTZ PRIMARY KEY,
  owner UUID NOT NULL,
  heartbeat_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),
  finished_at TIMESTAMPTZ
);
