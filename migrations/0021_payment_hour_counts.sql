-- The payments list's total for a range that starts or ends inside an India day (issue 26): the
-- per-day counts of migration 0015 cover whole days only, and the part of a day that a range
-- covers was counted from the payments themselves, so that count grew with a day's volume
-- (~18,500 payments a day at 10 million). Now the whole India hours of that part are summed from
-- per-hour × status counts kept the same way, and only the minutes before the first whole hour
-- and after the last one are counted from the rows.
--
-- `hour` is the India wall-clock hour (`date_trunc('hour', created_at AT TIME ZONE
-- 'Asia/Kolkata')`): India hours tile India days, while UTC hours start at India's half hours.
CREATE TABLE IF NOT EXISTS payment_hour_counts (
  hour TIMESTAMP NOT NULL,
  status TEXT NOT NULL,
  n BIGINT NOT NULL,
  PRIMARY KEY (hour, status)
);

-- The counts are used again once migration 0022 has built the hours beside the days.
UPDATE payment_day_counts_state SET complete = FALSE;

-- One row's move between keys, now at both grains: -1 where it was, +1 where it is. Every path
-- takes the day row before the hour row (and the old key before the new one), so writers queue
-- in one order; the upserts take each key's row lock, so no increment is lost.
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
    INSERT INTO payment_hour_counts (hour, status, n)
    VALUES (date_trunc('hour', OLD.created_at AT TIME ZONE 'Asia/Kolkata'), OLD.status, -1)
    ON CONFLICT (hour, status) DO UPDATE SET n = payment_hour_counts.n - 1;
  END IF;
  IF TG_OP IN ('INSERT', 'UPDATE') THEN
    INSERT INTO payment_day_counts (day, status, n)
    VALUES ((NEW.created_at AT TIME ZONE 'Asia/Kolkata')::date, NEW.status, 1)
    ON CONFLICT (day, status) DO UPDATE SET n = payment_day_counts.n + 1;
    INSERT INTO payment_hour_counts (hour, status, n)
    VALUES (date_trunc('hour', NEW.created_at AT TIME ZONE 'Asia/Kolkata'), NEW.status, 1)
    ON CONFLICT (hour, status) DO UPDATE SET n = payment_hour_counts.n + 1;
  END IF;
  RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION yt_payment_day_counts_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM payment_day_counts;
  DELETE FROM payment_hour_counts;
  RETURN NULL;
END $$;

-- Builds (or repairs) the day and hour counts from the rows, `batch_days` India days at a time:
-- each batch holds a SHARE lock on `payments` (writers wait, readers do not) only while it
-- recounts its days, then commits; the trigger keeps a recounted day exact from then on. The
-- first batch reaches back to the beginning and the last one forward without end, so no day is
-- left out. Called outside a transaction block (`CALL`), so that it may commit between batches;
-- `complete` is true only after the last one.
CREATE OR REPLACE PROCEDURE yt_build_payment_day_counts(batch_days INT DEFAULT 31)
LANGUAGE plpgsql AS $$
DECLARE
  first_day DATE;
  last_day DATE;
  d DATE;
  upper_day DATE;
  lo TIMESTAMP;
  hi TIMESTAMP;
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
    -- [lo, hi): the batch's India wall-clock span, open below for the first batch and above for
    -- the last (infinities, not NULLs, so that every statement is an index range).
    lo := CASE WHEN d = first_day THEN '-infinity'::timestamp ELSE d::timestamp END;
    hi := CASE WHEN upper_day > last_day THEN 'infinity'::timestamp ELSE upper_day::timestamp END;
    LOCK TABLE payments IN SHARE MODE;
    DELETE FROM payment_day_counts WHERE day >= lo::date AND day < hi::date;
    DELETE FROM payment_hour_counts WHERE hour >= lo AND hour < hi;
    INSERT INTO payment_hour_counts (hour, status, n)
      SELECT date_trunc('hour', created_at AT TIME ZONE 'Asia/Kolkata'), status, count(*) FROM payments
      WHERE created_at >= (lo AT TIME ZONE 'Asia/Kolkata') AND created_at < (hi AT TIME ZONE 'Asia/Kolkata')
      GROUP BY 1, 2;
    -- India hours tile India days: a day's counts are its hours' sums (one scan of the payments).
    INSERT INTO payment_day_counts (day, status, n)
      SELECT hour::date, status, sum(n) FROM payment_hour_counts
      WHERE hour >= lo AND hour < hi
      GROUP BY 1, 2;
    COMMIT;
    EXIT WHEN upper_day > last_day;
    d := upper_day;
  END LOOP;
  UPDATE payment_day_counts_state SET complete = TRUE, built_at = NOW();
  COMMIT;
END $$;
