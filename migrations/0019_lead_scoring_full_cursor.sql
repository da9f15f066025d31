-- A full scoring stopped at its deadline goes on where it stopped (issue 26): at ten million
-- leads one invocation may not sweep them all. The last lead id the unfinished sweep scored;
-- NULL when no sweep is unfinished.
ALTER TABLE lead_scoring_state ADD COLUMN IF NOT EXISTS full_after UUID;
