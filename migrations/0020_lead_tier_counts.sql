-- How many leads are hot, warm and cold, for the lead-scoring answer (issue 26): kept in step
-- with `children` by statement triggers in the writer's own transaction, so a night no longer
-- counts every child (a scan of a million rows, 0.15-0.24 s, most of an unchanged night and 8% of
-- an ordinary one). A statement's transition tables give its net move per tier: one upsert per
-- tier it moves, none when it moves none (a score rewritten within its tier, any write of
-- another column), whatever the number of rows. The upsert takes the tier's row lock, so
-- concurrent writers queue on it and no move is lost; tiers are taken in one order.
CREATE TABLE IF NOT EXISTS lead_tier_counts (
  tier TEXT PRIMARY KEY,
  n BIGINT NOT NULL
);

CREATE OR REPLACE FUNCTION yt_lead_tier_counts() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    INSERT INTO lead_tier_counts (tier, n)
    SELECT lead_status, count(*) FROM new_rows
    WHERE status = 'lead' AND lead_status IS NOT NULL
    GROUP BY lead_status ORDER BY lead_status
    ON CONFLICT (tier) DO UPDATE SET n = lead_tier_counts.n + EXCLUDED.n;
  ELSIF TG_OP = 'DELETE' THEN
    INSERT INTO lead_tier_counts (tier, n)
    SELECT lead_status, -count(*) FROM old_rows
    WHERE status = 'lead' AND lead_status IS NOT NULL
    GROUP BY lead_status ORDER BY lead_status
    ON CONFLICT (tier) DO UPDATE SET n = lead_tier_counts.n + EXCLUDED.n;
  ELSE
    INSERT INTO lead_tier_counts (tier, n)
    SELECT tier, sum(d) FROM (
      SELECT lead_status AS tier, -1 AS d FROM old_rows
      WHERE status = 'lead' AND lead_status IS NOT NULL
      UNION ALL
      SELECT lead_status, 1 FROM new_rows
      WHERE status = 'lead' AND lead_status IS NOT NULL
    ) moves
    GROUP BY tier HAVING sum(d) <> 0 ORDER BY tier
    ON CONFLICT (tier) DO UPDATE SET n = lead_tier_counts.n + EXCLUDED.n;
  END IF;
  RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION yt_lead_tier_counts_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM lead_tier_counts;
  RETURN NULL;
END $$;

-- Counts the tiers from the rows (here, and `migrate --repair-counts`). The SHARE lock makes
-- writers of `children` wait while it counts (readers do not), so no move falls between the
-- count and the triggers; the lock is held until the caller's transaction ends.
CREATE OR REPLACE FUNCTION yt_build_lead_tier_counts() RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  LOCK TABLE children IN SHARE MODE;
  DELETE FROM lead_tier_counts;
  INSERT INTO lead_tier_counts (tier, n)
  SELECT lead_status, count(*) FROM children
  WHERE status = 'lead' AND lead_status IS NOT NULL
  GROUP BY lead_status;
END $$;

-- Transition tables allow one event per trigger.
DROP TRIGGER IF EXISTS trg_lead_tier_counts_insert ON children;
CREATE TRIGGER trg_lead_tier_counts_insert
  AFTER INSERT ON children REFERENCING NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION yt_lead_tier_counts();
DROP TRIGGER IF EXISTS trg_lead_tier_counts_update ON children;
CREATE TRIGGER trg_lead_tier_counts_update
  AFTER UPDATE ON children REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION yt_lead_tier_counts();
DROP TRIGGER IF EXISTS trg_lead_tier_counts_delete ON children;
CREATE TRIGGER trg_lead_tier_counts_delete
  AFTER DELETE ON children REFERENCING OLD TABLE AS old_rows
  FOR EACH STATEMENT EXECUTE FUNCTION yt_lead_tier_counts();
DROP TRIGGER IF EXISTS trg_lead_tier_counts_truncate ON children;
CREATE TRIGGER trg_lead_tier_counts_truncate
  AFTER TRUNCATE ON children
  FOR EACH STATEMENT EXECUTE FUNCTION yt_lead_tier_counts_truncate();

SELECT yt_build_lead_tier_counts();
