-- Gap 8 (coach skill matching) and gap 9 (nightly lead scoring): the seed's specialization table
-- with its invariants in CHECKs, a per-coach cap on active enrollments, and the lead score kept on
-- the child with a history of tier changes.
CREATE TABLE IF NOT EXISTS coach_specializations (
  id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
  coach_id UUID NOT NULL REFERENCES coaches(id) ON DELETE CASCADE,
  specialization_type TEXT NOT NULL
    CHECK (specialization_type IN ('age_group', 'phonics_level', 'learning_need')),
  specialization_value TEXT NOT NULL CHECK (specialization_value <> ''),
  proficiency_level INTEGER NOT NULL DEFAULT 5 CHECK (proficiency_level BETWEEN 1 AND 10),
  created_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),
  UNIQUE (coach_id, specialization_type, specialization_value)
);
CREATE INDEX IF NOT EXISTS idx_specializations_type
  ON coach_specializations (specialization_type, specialization_value);

-- NULL: no cap.
ALTER TABLE coaches
  ADD COLUMN IF NOT EXISTS max_active_enrollments INTEGER
    CHECK (max_active_enrollments IS NULL OR max_active_enrollments >= 0);

ALTER TABLE children
  ADD COLUMN IF NOT EXISTS lead_score INTEGER CHECK (lead_score BETWEEN 0 AND 100),
  ADD COLUMN IF NOT EXISTS lead_status TEXT CHECK (lead_status IN ('hot', 'warm', 'cold')),
  ADD COLUMN IF NOT EXISTS lead_scored_at TIMESTAMPTZ,
  ADD COLUMN IF NOT EXISTS lead_score_breakdown JSONB;

-- One row per tier change; a run is identified by its "now", so replaying a run cannot record a
-- change twice. digest_outbox_id: the admin digest that reported a change to hot (each is
-- reported once, however often a run is replayed or resumed).
CREATE TABLE IF NOT EXISTS lead_score_changes (
  id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
  child_id UUID NOT NULL REFERENCES children(id) ON DELETE CASCADE,
  old_score INTEGER,
  new_score INTEGER NOT NULL CHECK (new_score BETWEEN 0 AND 100),
  old_status TEXT CHECK (old_status IN ('hot', 'warm', 'cold')),
  new_status TEXT NOT NULL CHECK (new_status IN ('hot', 'warm', 'cold')),
  run_at TIMESTAMPTZ NOT NULL,
  digest_outbox_id UUID,
  UNIQUE (child_id, run_at)
);
CREATE INDEX IF NOT EXISTS idx_lead_score_changes_unreported
  ON lead_score_changes (run_at) WHERE new_status = 'hot' AND digest_outbox_id IS NULL;
