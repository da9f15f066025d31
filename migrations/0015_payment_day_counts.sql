-- The payments list's exact total without counting every matching row (issue 26): how many
-- payments each India day has in each status, kept in step with `payments` by a trigger in the
-- same transaction as every write (captures, failures, refunds, backfills, anything). A total is
-- then the sum over the whole days of its range plus a direct count of the partly covered first
-- and last days, whatever the table's size. The counts are used only once they have been built
-- from the existing rows (`payment_day_counts_state.complete`, migration 0016).
CREATE TABLE IF NOT EXISTS payment_day_counts (
  day DATE NOT NULL,
  status TEXT NOT NULL,
  n BIGINT NOT NULL,
  PRIMARY KEY (day, status)
);

CREATE TABLE IF NOT EXISTS payment_day_counts_state (
  id BOOLEAN PRIMARY KEY DEFAULT TRUE CHECK (id),
  complete BOOLEAN NOT NULL DEFAULT FALSE,
  built_at TIMESTAMPTZ
);
INSERT INTO payment_day_counts_state (id, complete) VALUES (TRUE, FALSE) ON CONFLICT (id) DO NOTHING;

-- One row's move between (day, status) keys: -1 where it was, +1 where it is. An upsert takes the
-- key's row lock, so concurrent writers queue on it and no increment is lost.
CREATE OR REPLACE FUNCTION yt_payment_day_counts() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'UPDATE' AND NEW.status IS NOT DISTINCT FROM OLD.status
     AND NEW.created_at IS NOT DISTINCT FROM OLD.created_at THEN
    RETURN NULL;
  END IF;
  IF TG_OP IN ('UPDATE', 'DELETE') THEN
    INSERT INTO payment_day_counts (day, status, n)
    VALUES ((OLD.created_at AT TIME ZONE 'Asia/Kolkata')::date, OLD.status, -1)
    ON CONFLICT (day, status) DO UPDATE SET n = payment_day_counts.n - 1;
  END IF;
  IF TG_OP IN ('INSERT', 'UPDATE') THEN
    INSERT INTO payment_day_counts (day, status, n)
    VALUES ((NEW.created_at AT TIME ZONE 'Asia/Kolkata')::date, NEW.status, 1)
    ON CONFLICT (day, status) DO UPDATE SET n = payment_day_counts.n + 1;
  END IF;
  RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION yt_payment_day_counts_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM payment_day_counts;
  RETURN NULL;
END $$;

DROP TRIGGER IF EXISTS trg_payment_day_counts ON payments;
CREATE TRIGGER trg_payment_day_counts
  AFTER INSERT OR DELETE OR UPDATE OF status, created_at ON payments
  FOR EACH ROW EXECUTE FUNCTION yt_payment_day_counts();
DROP TRIGGER IF EXISTS trg_payment_day_counts_truncate ON payments;
CREATE TRIGGER trg_payment_day_counts_truncate
  AFTER TRUNCATE ON payments
  FOR EACH STATEMENT EXECUTE FUNCTION yt_payment_day_counts_truncate();

-- Builds (or repairs) the counts from the rows, `batch_days` India days at a time: each batch
-- holds a SHARE lock on `payments` (writers wait, readers do not) only while it recounts its days,
-- then commits; the trigger keeps a recounted day exact from then on. The first batch reaches back
-- to the beginning and the last one forward without end, so no day is left out. Called outside a
-- transaction block (`CALL`), so that it may commit between batches; `complete` is true only
-- after the last one.
CREATE OR REPLACE PROCEDURE yt_build_payment_day_counts(batch_days INT DEFAULT 31)
LANGUAGE plpgsql AS $$
DECLARE
  first_day DATE;
  last_day DATE;
  d DATE;
  upper_day DATE;
BEGIN
  UPDATE payment_day_counts_state SET complete = FALSE;
  COMMIT;
  SELECT (min(created_at) AT TIME ZONE 'Asia/Kolkata')::date,
         (max(created_at) AT TIME ZONE 'Asia/Kolkata')::date
    INTO first_day, last_day FROM payments;
  first_day := COALESCE(first_day, CURRENT_DATE);
  last_day := COALESCE(last_day, CURRENT_DATE);
  d := first_day;
  LOOP
    upper_day := d + batch_days;
    LOCK TABLE payments IN SHARE MODE;
    IF upper_day > last_day THEN
      -- The last batch: every day from d on.
      DELETE FROM payment_day_counts WHERE day >= d OR (d = first_day AND day < first_day);
      INSERT INTO payment_day_counts (day, status, n)
        SELECT (created_at AT TIME ZONE 'Asia/Kolkata')::date, status, count(*) FROM payments
        WHERE created_at >= (d::timestamp AT TIME ZONE 'Asia/Kolkata') OR d = first_day
        GROUP BY 1, 2;
    ELSE
      DELETE FROM payment_day_counts
        WHERE (day >= d AND day < upper_day) OR (d = first_day AND day < first_day);
      INSERT INTO payment_day_counts (day, status, n)
        SELECT (created_at AT TIME ZONE 'Asia/Kolkata')::date, status, count(*) FROM payments
        WHERE created_at < (upper_day::timestamp AT TIME ZONE 'Asia/Kolkata')
          AND (created_at >= (d::timestamp AT TIME ZONE 'Asia/Kolkata') OR d = first_day)
        GROUP BY 1, 2;
    END IF;
    COMMIT;
    EXIT WHEN upper_day > last_day;
    d := upper_day;
  END LOOP;
  UPDATE payment_day_counts_state SET complete = TRUE, built_at = NOW();
  COMMIT;
END $$;
