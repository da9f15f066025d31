//! SQL for coach payouts: one function per statement.
use super::receipt::Receipt;
use super::statement::Pending;
use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use tokio_postgres::types::Type;
use tokio_postgres::{GenericClient, Row};
use uuid::Uuid;

type R<T> = Result<T, tokio_postgres::Error>;

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Payout {
    pub id: Uuid,
    pub coach_id: Option<Uuid>,
    pub coach_name: Option<String>,
    pub amount: i64,
    pub period_start: Option<NaiveDate>,
    pub period_end: Option<NaiveDate>,
    pub status: Option<String>,
    pub bank_transfer_status: String,
    pub bank_utr_number: Option<String>,
    pub bank_transfer_date: Option<NaiveDate>,
    pub receipt_number: Option<String>,
    #[serde(skip)]
    pub created_at: DateTime<Utc>,
    #[serde(skip)]
    pub coach_email: Option<String>,
    #[serde(skip)]
    pub reconciled_by: Option<String>,
    #[serde(skip)]
    pub reconciled_at: Option<DateTime<Utc>>,
}

const COLUMNS: &str = "p.id, p.coach_id, c.name, p.amount, p.period_start, p.period_end, p.status,
    COALESCE(p.bank_transfer_status, 'pending'), p.bank_utr_number, p.bank_transfer_date,
    p.receipt_number, p.created_at, c.email, p.reconciled_by, p.reconciled_at";

fn payout(r: &Row) -> R<Payout> {
    Ok(Payout {
        id: r.try_get(0)?,
        coach_id: r.try_get(1)?,
        coach_name: r.try_get(2)?,
        amount: r.try_get(3)?,
        period_start: r.try_get(4)?,
        period_end: r.try_get(5)?,
        status: r.try_get(6)?,
        bank_transfer_status: r.try_get(7)?,
        bank_utr_number: r.try_get(8)?,
        bank_transfer_date: r.try_get(9)?,
        receipt_number: r.try_get(10)?,
        created_at: r.try_get(11)?,
        coach_email: r.try_get(12)?,
        reconciled_by: r.try_get(13)?,
        reconciled_at: r.try_get(14)?,
    })
}

impl Payout {
    pub fn receipt(&self) -> Option<Receipt> {
        Some(Receipt {
            payout_id: self.id,
            receipt_number: self.receipt_number.clone()?,
            coach_name: self.coach_name.clone(),
            coach_email: self.coach_email.clone(),
            period_start: self.period_start,
            period_end: self.period_end,
            amount: self.amount,
            utr: self.bank_utr_number.clone()?,
            transfer_date: self.bank_transfer_date,
            reconciled_by: self.reconciled_by.clone(),
            reconciled_at: self.reconciled_at,
        })
    }
}

pub async fn get(db: &impl GenericClient, id: Uuid) -> R<Option<Payout>> {
    db.query_typed(
        &format!("SELECT {COLUMNS} FROM coach_payouts p LEFT JOIN coaches c ON c.id = p.coach_id WHERE p.id = $1"),
        &[(&id, Type::UUID)],
    )
    .await?
    .first()
    .map(payout)
    .transpose()
}

pub async fn lock(db: &impl GenericClient, id: Uuid) -> R<Option<Payout>> {
    db.query_typed(
        &format!("SELECT {COLUMNS} FROM coach_payouts p LEFT JOIN coaches c ON c.id = p.coach_id WHERE p.id = $1 FOR UPDATE OF p"),
        &[(&id, Type::UUID)],
    )
    .await?
    .first()
    .map(payout)
    .transpose()
}

/// The coach whose email is `email` (trimmed, case-insensitive; the oldest when two share it).
pub async fn coach_for_email(db: &impl GenericClient, email: &str) -> R<Option<Uuid>> {
    db.query_typed(
        "SELECT id FROM coaches WHERE lower(btrim(email)) = lower(btrim($1)) ORDER BY created_at, id LIMIT 1",
        &[(&email, Type::TEXT)],
    )
    .await?
    .first()
    .map(|r| r.try_get(0))
    .transpose()
}

/// The payout when it is the coach's.
pub async fn get_for_coach(db: &impl GenericClient, id: Uuid, coach: Uuid) -> R<Option<Payout>> {
    db.query_typed(
        &format!(
            "SELECT {COLUMNS} FROM coach_payouts p JOIN coaches c ON c.id = p.coach_id
             WHERE p.id = $1 AND p.coach_id = $2"
        ),
        &[(&id, Type::UUID), (&coach, Type::UUID)],
    )
    .await?
    .first()
    .map(payout)
    .transpose()
}

pub struct Filter {
    pub status: Option<String>,
    pub coach_id: Option<Uuid>,
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    pub limit: i64,
    pub offset: i64,
}

/// A page of payouts (newest period first) and the total matching the filter.
pub async fn list(db: &impl GenericClient, f: &Filter) -> R<(Vec<Payout>, i64)> {
    let rows = db
        .query_typed(
            &format!(
                "SELECT {COLUMNS}, count(*) OVER () FROM coach_payouts p LEFT JOIN coaches c ON c.id = p.coach_id
                 WHERE ($1::text IS NULL OR COALESCE(p.bank_transfer_status, 'pending') = $1)
                   AND ($2::uuid IS NULL OR p.coach_id = $2)
                   AND ($3::date IS NULL OR p.period_end >= $3)
                   AND ($4::date IS NULL OR p.period_end <= $4)
                 ORDER BY p.period_end DESC NULLS LAST, p.id
                 LIMIT $5 OFFSET $6"
            ),
            &[
                (&f.status, Type::TEXT),
                (&f.coach_id, Type::UUID),
                (&f.from, Type::DATE),
                (&f.to, Type::DATE),
                (&f.limit, Type::INT8),
                (&f.offset, Type::INT8),
            ],
        )
        .await?;
    let total = match rows.first() {
        Some(r) => r.try_get(15)?,
        None => 0,
    };
    Ok((rows.iter().map(payout).collect::<R<Vec<_>>>()?, total))
}

pub struct Completion<'a> {
    pub utr: &'a str,
    pub transfer_date: NaiveDate,
    pub proof_url: Option<&'a str>,
    pub reconciled_by: &'a str,
}

/// Completes a pending payout with its receipt number (`YT-PO-<IST year>-<6 digits>`) and answers
/// it as stored (`None` when it was completed already). The UTR's unique index refuses one used by
/// another payout (SQLSTATE 23505).
pub async fn complete(db: &impl GenericClient, id: Uuid, c: &Completion<'_>) -> R<Option<Payout>> {
    db.query_typed(
        &format!(
            "WITH p AS (
               UPDATE coach_payouts
               SET bank_transfer_status = 'completed', bank_utr_number = $2, bank_transfer_date = $3,
                   bank_transfer_proof_url = $4, reconciled_at = NOW(), reconciled_by = $5,
                   receipt_number = 'YT-PO-' || to_char(NOW() AT TIME ZONE 'Asia/Kolkata', 'YYYY') || '-'
                                    || lpad(nextval('payout_receipt_seq')::text, 6, '0')
               WHERE id = $1 AND COALESCE(bank_transfer_status, 'pending') <> 'completed'
               RETURNING *
             )
             SELECT {COLUMNS} FROM p LEFT JOIN coaches c ON c.id = p.coach_id"
        ),
        &[
            (&id, Type::UUID),
            (&c.utr, Type::TEXT),
            (&c.transfer_date, Type::DATE),
            (&c.proof_url, Type::TEXT),
            (&c.reconciled_by, Type::TEXT),
        ],
    )
    .await?
    .first()
    .map(payout)
    .transpose()
}

/// Every pending payout, for statement matching.
pub async fn pending(db: &impl GenericClient) -> R<Vec<Pending>> {
    db.query_typed(
        "SELECT p.id, c.name, p.amount, p.period_end FROM coach_payouts p LEFT JOIN coaches c ON c.id = p.coach_id
         WHERE COALESCE(p.bank_transfer_status, 'pending') = 'pending'
         ORDER BY p.period_end, p.id",
        &[],
    )
    .await?
    .iter()
    .map(|r| {
        Ok(Pending {
            id: r.try_get(0)?,
            coach_name: r.try_get(1)?,
            amount: r.try_get(2)?,
            period_end: r.try_get(3)?,
        })
    })
    .collect()
}
