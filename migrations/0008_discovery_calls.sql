-- Gap 5: discovery calls (Cal.com bookings) linked to children. The linking rule lives here, in
-- SQL, so that the backfill, the cal-webhook function and a trigger on `children` (whatever app
-- creates the child) all link the same way and nobody else needs code for it.
ALTER TABLE discovery_calls
  ADD COLUMN IF NOT EXISTS child_id UUID REFERENCES children(id) ON DELETE SET NULL,
  ADD COLUMN IF NOT EXISTS ends_at TIMESTAMPTZ,
  ADD COLUMN IF NOT EXISTS parent_phone TEXT,
  ADD COLUMN IF NOT EXISTS parent_timezone TEXT,
  ADD COLUMN IF NOT EXISTS child_age INTEGER,
  ADD COLUMN IF NOT EXISTS link_method TEXT,
  ADD COLUMN IF NOT EXISTS updated_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),
  -- Every earlier booking uid of this call (a reschedule is a new booking naming the old one).
  ADD COLUMN IF NOT EXISTS previous_uids TEXT[] NOT NULL DEFAULT '{}',
  -- Which Cal.com event (its createdAt, then its kind's rank) the status, the times and the
  -- current uid come from: an older event changes none of them.
  ADD COLUMN IF NOT EXISTS status_event_at TIMESTAMPTZ,
  ADD COLUMN IF NOT EXISTS status_event_rank INTEGER,
  ADD COLUMN IF NOT EXISTS times_event_at TIMESTAMPTZ,
  ADD COLUMN IF NOT EXISTS times_event_rank INTEGER,
  ADD COLUMN IF NOT EXISTS uid_event_at TIMESTAMPTZ,
  ADD COLUMN IF NOT EXISTS metadata_child_id UUID;

CREATE INDEX IF NOT EXISTS idx_discovery_calls_child ON discovery_calls(child_id);
CREATE INDEX IF NOT EXISTS idx_discovery_calls_previous_uids ON discovery_calls USING gin (previous_uids);
CREATE INDEX IF NOT EXISTS idx_discovery_calls_unlinked_email
  ON discovery_calls (lower(btrim(parent_email))) WHERE child_id IS NULL;
CREATE INDEX IF NOT EXISTS idx_children_parent_email_norm ON children (lower(btrim(parent_email)));
CREATE INDEX IF NOT EXISTS idx_children_parent ON children (parent_id);
CREATE INDEX IF NOT EXISTS idx_parents_email_norm ON parents (lower(btrim(email)));

-- Old rows may hold other statuses: the checks hold for new and changed rows (NOT VALID).
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_constraint WHERE conname = 'discovery_calls_status_check') THEN
    ALTER TABLE discovery_calls ADD CONSTRAINT discovery_calls_status_check
      CHECK (status IN ('scheduled', 'rescheduled', 'cancelled', 'completed', 'no_show')) NOT VALID;
  END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_constraint WHERE conname = 'discovery_calls_link_method_check') THEN
    ALTER TABLE discovery_calls ADD CONSTRAINT discovery_calls_link_method_check
      CHECK (link_method IN ('metadata', 'email_and_name', 'email', 'phone', 'manual')) NOT VALID;
  END IF;
END $$;

-- A name as people type it: trimmed, inner spaces collapsed, case ignored.
CREATE OR REPLACE FUNCTION yt_norm_name(t TEXT) RETURNS TEXT
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  AS $$ SELECT lower(regexp_replace(btrim(t), '\s+', ' ', 'g')) $$;

-- The last 10 digits of a phone number (Indian numbers with or without +91, spaces, dashes).
CREATE OR REPLACE FUNCTION yt_phone10(t TEXT) RETURNS TEXT
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  AS $$ SELECT CASE WHEN length(regexp_replace(t, '\D', '', 'g')) >= 10
                    THEN right(regexp_replace(t, '\D', '', 'g'), 10) END $$;

CREATE INDEX IF NOT EXISTS idx_parents_phone10 ON parents (yt_phone10(phone));

-- The child a discovery call belongs to, and how it was found. By email first (the child's
-- `parent_email` or its parent's `email`, trimmed, case-insensitive): among those children the
-- one whose name matches the call's child name, else the newest. When the email finds none, the
-- parent by phone (last 10 digits), same choice. No row when nothing matches.
CREATE OR REPLACE FUNCTION yt_discovery_child(p_email TEXT, p_phone TEXT, p_child_name TEXT)
  RETURNS TABLE (child_id UUID, method TEXT)
  LANGUAGE sql STABLE
  AS $$
  WITH by_email AS (
    SELECT c.id, c.name, c.created_at FROM children c
    WHERE p_email IS NOT NULL AND btrim(p_email) <> ''
      AND lower(btrim(c.parent_email)) = lower(btrim(p_email))
    UNION
    SELECT c.id, c.name, c.created_at FROM children c JOIN parents p ON p.id = c.parent_id
    WHERE p_email IS NOT NULL AND btrim(p_email) <> ''
      AND lower(btrim(p.email)) = lower(btrim(p_email))
  ), by_phone AS (
    SELECT c.id, c.name, c.created_at FROM children c JOIN parents p ON p.id = c.parent_id
    WHERE NOT EXISTS (SELECT 1 FROM by_email)
      AND yt_phone10(p_phone) IS NOT NULL AND yt_phone10(p.phone) = yt_phone10(p_phone)
  ), candidates AS (
    SELECT id, name, created_at, FALSE AS phone FROM by_email
    UNION ALL
    SELECT id, name, created_at, TRUE FROM by_phone
  )
  SELECT id,
         CASE WHEN phone THEN 'phone'
              WHEN yt_norm_name(name) = yt_norm_name(p_child_name) THEN 'email_and_name'
              ELSE 'email' END
  FROM candidates
  ORDER BY (yt_norm_name(name) IS NOT DISTINCT FROM yt_norm_name(p_child_name)
            AND p_child_name IS NOT NULL) DESC,
           created_at DESC, id
  LIMIT 1
  $$;

-- Links every unlinked call the rule finds a child for (never re-links a linked one); returns
-- how many it linked. The backfill below, and safe to run again (it then links 0).
CREATE OR REPLACE FUNCTION yt_link_unlinked_discovery_calls() RETURNS INTEGER
  LANGUAGE plpgsql AS $$
DECLARE
  n INTEGER;
BEGIN
  UPDATE discovery_calls d
     SET child_id = m.child_id, link_method = m.method, updated_at = NOW()
    FROM (SELECT d2.id, l.child_id, l.method
            FROM discovery_calls d2
            CROSS JOIN LATERAL yt_discovery_child(d2.parent_email, d2.parent_phone, d2.child_name) l
           WHERE d2.child_id IS NULL) m
   WHERE d.id = m.id AND d.child_id IS NULL;
  GET DIAGNOSTICS n = ROW_COUNT;
  RETURN n;
END $$;

-- Whatever path creates a child or changes its parent email or name (the assessment flow, the
-- admin app, this backend), its family's unlinked calls are linked by the same rule.
CREATE OR REPLACE FUNCTION yt_children_link_discovery_calls() RETURNS TRIGGER
  LANGUAGE plpgsql AS $$
BEGIN
  UPDATE discovery_calls d
     SET child_id = l.child_id, link_method = l.method, updated_at = NOW()
    FROM discovery_calls d2
    CROSS JOIN LATERAL yt_discovery_child(d2.parent_email, d2.parent_phone, d2.child_name) l
   WHERE d.id = d2.id AND d.child_id IS NULL
     AND (lower(btrim(d2.parent_email)) = lower(btrim(NEW.parent_email))
          OR lower(btrim(d2.parent_email)) = (SELECT lower(btrim(p.email)) FROM parents p WHERE p.id = NEW.parent_id)
          OR yt_phone10(d2.parent_phone) = (SELECT yt_phone10(p.phone) FROM parents p WHERE p.id = NEW.parent_id));
  RETURN NULL;
END $$;

DROP TRIGGER IF EXISTS trg_children_link_discovery_calls ON children;
CREATE TRIGGER trg_children_link_discovery_calls
  AFTER INSERT OR UPDATE OF parent_email, name, parent_id ON children
  FOR EACH ROW EXECUTE FUNCTION yt_children_link_discovery_calls();

-- The backfill.
SELECT yt_link_unlinked_discovery_calls();

-- Every Cal.com booking event as received, by the uids it names: a call's state is the replay of
-- its chain of events in Cal.com's order, so deliveries in any order end in the same state.
CREATE TABLE IF NOT EXISTS discovery_call_events (
  id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
  event_id TEXT NOT NULL UNIQUE,
  uid TEXT NOT NULL,
  reschedule_uid TEXT,
  body TEXT NOT NULL,
  received_at TIMESTAMPTZ NOT NULL DEFAULT NOW()
);
CREATE INDEX IF NOT EXISTS idx_discovery_call_events_uid ON discovery_call_events(uid);
CREATE INDEX IF NOT EXISTS idx_discovery_call_events_reschedule_uid ON discovery_call_events(reschedule_uid);
