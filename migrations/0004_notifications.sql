-- Gap 7: per-parent notification preferences, and communication_logs as the record of every
-- send decision (one row per message and channel, so SQS redelivery never sends twice).
ALTER TABLE parents ADD COLUMN IF NOT EXISTS notification_preferences JSONB DEFAULT '{
  "whatsapp": true,
  "email": true,
  "sms": false,
  "marketing": false,
  "session_reminders": true,
  "progress_updates": true,
  "promotional": false
}'::jsonb;

DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_constraint WHERE conname = 'parents_notification_preferences_is_object') THEN
    ALTER TABLE parents ADD CONSTRAINT parents_notification_preferences_is_object
      CHECK (notification_preferences IS NULL OR jsonb_typeof(notification_preferences) = 'object');
  END IF;
END $$;

ALTER TABLE communication_logs ADD COLUMN IF NOT EXISTS message_id UUID;
ALTER TABLE communication_logs ADD COLUMN IF NOT EXISTS coach_id UUID;
ALTER TABLE communication_logs ADD COLUMN IF NOT EXISTS category TEXT;
ALTER TABLE communication_logs ADD COLUMN IF NOT EXISTS recipient TEXT;
ALTER TABLE communication_logs ADD COLUMN IF NOT EXISTS rule TEXT;
ALTER TABLE communication_logs ADD COLUMN IF NOT EXISTS error TEXT;
ALTER TABLE communication_logs ADD COLUMN IF NOT EXISTS provider_message_id TEXT;
ALTER TABLE communication_logs ADD COLUMN IF NOT EXISTS updated_at TIMESTAMPTZ NOT NULL DEFAULT NOW();
CREATE UNIQUE INDEX IF NOT EXISTS uq_communication_logs_message_channel
  ON communication_logs(message_id, channel) WHERE message_id IS NOT NULL;
