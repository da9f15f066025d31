-- Gap 4: e-learning content. Modules get their place in the plan (stage, topic, position), a
-- checked YouTube id, a duration, an optional quiz and a status; elearning_topics holds the plan's
-- targets per stage and topic (the seed's 159–393 videos per stage, split evenly, rounded up).
ALTER TABLE elearning_modules
  ADD COLUMN IF NOT EXISTS topic TEXT,
  ADD COLUMN IF NOT EXISTS position INTEGER,
  ADD COLUMN IF NOT EXISTS duration_seconds INTEGER,
  ADD COLUMN IF NOT EXISTS quiz_id UUID,
  ADD COLUMN IF NOT EXISTS status TEXT NOT NULL DEFAULT 'draft',
  ADD COLUMN IF NOT EXISTS updated_at TIMESTAMPTZ NOT NULL DEFAULT NOW();

DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_constraint WHERE conname = 'elearning_modules_stage_check') THEN
    ALTER TABLE elearning_modules ADD CONSTRAINT elearning_modules_stage_check
      CHECK (stage IN ('foundation', 'building', 'mastery')) NOT VALID;
  END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_constraint WHERE conname = 'elearning_modules_status_check') THEN
    ALTER TABLE elearning_modules ADD CONSTRAINT elearning_modules_status_check
      CHECK (status IN ('draft', 'published', 'retired')) NOT VALID;
  END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_constraint WHERE conname = 'elearning_modules_duration_check') THEN
    ALTER TABLE elearning_modules ADD CONSTRAINT elearning_modules_duration_check
      CHECK (duration_seconds > 0) NOT VALID;
  END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_constraint WHERE conname = 'elearning_modules_video_id_check') THEN
    ALTER TABLE elearning_modules ADD CONSTRAINT elearning_modules_video_id_check
      CHECK (youtube_video_id ~ '^[A-Za-z0-9_-]{11}$') NOT VALID;
  END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_constraint WHERE conname = 'elearning_modules_position_check') THEN
    ALTER TABLE elearning_modules ADD CONSTRAINT elearning_modules_position_check
      CHECK (position > 0) NOT VALID;
  END IF;
END $$;

CREATE UNIQUE INDEX IF NOT EXISTS uq_elearning_modules_video ON elearning_modules (youtube_video_id);
CREATE UNIQUE INDEX IF NOT EXISTS uq_elearning_modules_place
  ON elearning_modules (stage, topic, position) WHERE status <> 'retired';

CREATE TABLE IF NOT EXISTS elearning_topics (
  stage TEXT NOT NULL CHECK (stage IN ('foundation', 'building', 'mastery')),
  topic TEXT NOT NULL,
  title TEXT NOT NULL,
  target_min INTEGER NOT NULL,
  target_max INTEGER NOT NULL,
  PRIMARY KEY (stage, topic),
  CHECK (target_min > 0 AND target_min <= target_max)
);

INSERT INTO elearning_topics (stage, topic, title, target_min, target_max) VALUES
  ('foundation', 'letter_sounds', 'Letter sounds', 53, 131),
  ('foundation', 'blending', 'Blending', 53, 131),
  ('foundation', 'cvc_words', 'CVC words', 53, 131),
  ('building', 'digraphs', 'Digraphs', 53, 131),
  ('building', 'long_vowels', 'Long vowels', 53, 131),
  ('building', 'fluency', 'Fluency', 53, 131),
  ('mastery', 'advanced_phonics', 'Advanced phonics', 80, 197),
  ('mastery', 'comprehension', 'Comprehension', 80, 197)
ON CONFLICT (stage, topic) DO NOTHING;
