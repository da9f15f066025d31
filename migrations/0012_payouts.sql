-- Gap 10: coach payout reconciliation. The seed's bank transfer columns, a receipt number from
-- one sequence that never resets, and a UTR that no two payouts share (stored upper-case; the
-- unique index decides races).
ALTER TABLE coach_payouts
  ADD COLUMN IF NOT EXISTS bank_transfer_status TEXT NOT NULL DEFAULT 'pending',
  ADD COLUMN IF NOT EXISTS bank_transfer_date DATE,
  ADD COLUMN IF NOT EXISTS bank_utr_number TEXT,
  ADD COLUMN IF NOT EXISTS bank_transfer_proof_url TEXT,
  ADD COLUMN IF NOT EXISTS reconciled_at TIMESTAMPTZ,
  ADD COLUMN IF NOT EXISTS reconciled_by TEXT,
  ADD COLUMN IF NOT EXISTS receipt_number TEXT;

CREATE SEQUENCE IF NOT EXISTS payout_receipt_seq;

DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_constraint WHERE conname = 'coach_payouts_bank_transfer_status_check') THEN
    ALTER TABLE coach_payouts ADD CONSTRAINT coach_payouts_bank_transfer_status_check
      CHECK (bank_transfer_status IN ('pending', 'completed', 'failed')) NOT VALID;
  END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_constraint WHERE conname = 'coach_payouts_amount_check') THEN
    ALTER TABLE coach_payouts ADD CONSTRAINT coach_payouts_amount_check CHECK (amount >= 0) NOT VALID;
  END IF;
  -- A completed transfer has its UTR, date and receipt.
  IF NOT EXISTS (SELECT 1 FROM pg_constraint WHERE conname = 'coach_payouts_completed_has_utr') THEN
    ALTER TABLE coach_payouts ADD CONSTRAINT coach_payouts_completed_has_utr
      CHECK (bank_transfer_status <> 'completed'
             OR (bank_utr_number IS NOT NULL AND bank_transfer_date IS NOT NULL AND receipt_number IS NOT NULL)) NOT VALID;
  END IF;
END $$;

CREATE UNIQUE INDEX IF NOT EXISTS uq_coach_payouts_utr
  ON coach_payouts (upper(bank_utr_number)) WHERE bank_utr_number IS NOT NULL;
CREATE UNIQUE INDEX IF NOT EXISTS uq_coach_payouts_receipt
  ON coach_payouts (receipt_number) WHERE receipt_number IS NOT NULL;
CREATE INDEX IF NOT EXISTS idx_coach_payouts_status_period
  ON coach_payouts (bank_transfer_status, period_end DESC, id);
CREATE INDEX IF NOT EXISTS idx_coach_payouts_coach ON coach_payouts (coach_id);
CREATE INDEX IF NOT EXISTS idx_coaches_email_norm ON coaches (lower(btrim(email)));
