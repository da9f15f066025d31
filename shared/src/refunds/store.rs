//! SQL for refunds: one function per statement, each usable inside or outside a transaction.
use chrono::{DateTime, Utc};
use serde::Serialize;
use tokio_postgres::types::Type;
use tokio_postgres::GenericClient;
use tokio_postgres::Row;
use uuid::Uuid;

pub use super::refund_status::RefundStatus;

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Termination {
    pub id: Uuid,
    pub enrollment_id: Uuid,
    pub terminated_by: String,
    pub termination_reason: String,
    pub termination_notes: Option<String>,
    pub sessions_total: i32,
    pub sessions_completed: i32,
    pub sessions_remaining: i32,
    pub original_amount: i64,
    pub refund_amount: i64,
    pub coach_settlement_amount: i64,
    pub platform_retention: i64,
    pub razorpay_payment_id: String,
    pub razorpay_refund_id: Option<String>,
    pub refund_status: RefundStatus,
    /// 1 for the first request to Razorpay, n after n - 1 retries of a failed refund.
    pub refund_attempt: i32,
    pub refund_initiated_at: Option<DateTime<Utc>>,
    pub refund_completed_at: Option<DateTime<Utc>>,
    pub refund_failure_reason: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub created_by: String,
}

const TERMINATION_COLUMNS: &str =
    "id, enrollment_id, terminated_by, termination_reason, termination_notes,
  sessions_total, sessions_completed, sessions_remaining, original_amount, refund_amount,
  coach_settlement_amount, platform_retention, razorpay_payment_id, razorpay_refund_id,
  refund_status, refund_attempt, refund_initiated_at, refund_completed_at, refund_failure_reason, created_at,
  updated_at, created_by";

impl Termination {
    /// Every column read with `try_get`: a NULL or a type we did not create is an error the
    /// handler answers with a 500 that names nothing, never a panic.
    fn from_row(r: &Row) -> Result<Self, tokio_postgres::Error> {
        let status: String = r.try_get("refund_status")?;
        Ok(Termination {
            id: r.try_get("id")?,
            enrollment_id: r.try_get("enrollment_id")?,
            terminated_by: r.try_get("terminated_by")?,
            termination_reason: r.try_get("termination_reason")?,
            termination_notes: r.try_get("termination_notes")?,
            sessions_total: r.try_get("sessions_total")?,
            sessions_completed: r.try_get("sessions_completed")?,
            sessions_remaining: r.try_get("sessions_remaining")?,
            original_amount: r.try_get("original_amount")?,
            refund_amount: r.try_get("refund_amount")?,
            coach_settlement_amount: r.try_get("coach_settlement_amount")?,
            platform_retention: r.try_get("platform_retention")?,
            razorpay_payment_id: r.try_get("razorpay_payment_id")?,
            razorpay_refund_id: r.try_get("razorpay_refund_id")?,
            // The CHECK constraint keeps the column inside the four known states.
            refund_status: RefundStatus::parse(&status).unwrap_or(RefundStatus::Pending),
            refund_attempt: r.try_get("refund_attempt")?,
            refund_initiated_at: r.try_get("refund_initiated_at")?,
            refund_completed_at: r.try_get("refund_completed_at")?,
            refund_failure_reason: r.try_get("refund_failure_reason")?,
            created_at: r.try_get("created_at")?,
            updated_at: r.try_get("updated_at")?,
            created_by: r.try_get("created_by")?,
        })
    }
}

fn one(row: Option<Row>) -> Result<Option<Termination>, tokio_postgres::Error> {
    row.as_ref().map(Termination::from_row).transpose()
}

#[derive(Debug, Clone)]
pub struct Enrollment {
    pub id: Uuid,
    pub status: String,
    pub sessions_total: i32,
}

pub async fn lock_enrollment(
    db: &impl GenericClient,
    id: Uuid,
) -> Result<Option<Enrollment>, tokio_postgres::Error> {
    let row = db
        .query_typed_opt(
            "SELECT id, status, sessions_total FROM enrollments WHERE id = $1 FOR UPDATE",
            &[(&id, Type::UUID)],
        )
        .await?;
    row.map(|r| {
        Ok(Enrollment {
            id: r.try_get(0)?,
            status: r.try_get(1)?,
            sessions_total: r.try_get(2)?,
        })
    })
    .transpose()
}

#[derive(Debug, Clone)]
pub struct CapturedPayment {
    pub razorpay_payment_id: String,
    pub amount: i64,
    pub captured_at: DateTime<Utc>,
}

/// What a refund decision reads about a locked enrollment, in one statement.
#[derive(Debug, Clone)]
pub struct RefundFacts {
    /// The status of its termination that has not failed, if any (at most one: unique index).
    pub active_status: Option<RefundStatus>,
    /// Its latest captured payment. A legacy row without `captured_at` uses its creation time,
    /// which can only shorten the full-refund window, never lengthen it.
    pub payment: Option<CapturedPayment>,
    pub sessions_completed: i32,
}

/// Run after `lock_enrollment`, as its own statement, so it sees what committed while the
/// lock was awaited (a concurrent termination).
pub async fn refund_facts(
    db: &impl GenericClient,
    enrollment_id: Uuid,
) -> Result<RefundFacts, tokio_postgres::Error> {
    let r = db
        .query_typed_one(
            "SELECT
               (SELECT t.refund_status FROM enrollment_terminations t
                 WHERE t.enrollment_id = $1 AND t.refund_status <> 'failed' LIMIT 1),
               p.razorpay_payment_id, p.amount, p.captured_at,
               (SELECT COUNT(*)::INT FROM scheduled_sessions s
                 WHERE s.enrollment_id = $1 AND s.status = 'completed')
             FROM (SELECT 1) one
             LEFT JOIN LATERAL (
               SELECT razorpay_payment_id, amount, COALESCE(captured_at, created_at) AS captured_at
               FROM payments
               WHERE enrollment_id = $1 AND status = 'captured' AND razorpay_payment_id IS NOT NULL
               ORDER BY COALESCE(captured_at, created_at) DESC, id
               LIMIT 1) p ON TRUE",
            &[(&enrollment_id, Type::UUID)],
        )
        .await?;
    let active: Option<String> = r.try_get(0)?;
    let payment_id: Option<String> = r.try_get(1)?;
    let payment = match payment_id {
        Some(razorpay_payment_id) => Some(CapturedPayment {
            razorpay_payment_id,
            amount: r.try_get(2)?,
            captured_at: r.try_get(3)?,
        }),
        None => None,
    };
    Ok(RefundFacts {
        // The CHECK constraint keeps the column inside the four known states.
        active_status: active.as_deref().and_then(RefundStatus::parse),
        payment,
        sessions_completed: r.try_get(4)?,
    })
}

pub struct NewTermination<'a> {
    pub enrollment_id: Uuid,
    pub reason: &'a str,
    pub notes: Option<&'a str>,
    pub calc: &'a super::calculator::Calculation,
    pub razorpay_payment_id: &'a str,
    pub created_by: &'a str,
}

#[derive(Debug, thiserror::Error)]
pub enum InsertError {
    #[error("a refund is already active for this enrollment")]
    ActiveExists,
    #[error(transparent)]
    Db(#[from] tokio_postgres::Error),
}

pub async fn insert_termination(
    db: &impl GenericClient,
    t: &NewTermination<'_>,
) -> Result<Termination, InsertError> {
    let sql = format!(
        "INSERT INTO enrollment_terminations (enrollment_id, terminated_by, termination_reason,
           termination_notes, sessions_total, sessions_completed, sessions_remaining, original_amount,
           refund_amount, coach_settlement_amount, platform_retention, razorpay_payment_id, created_by)
         VALUES ($1, 'admin', $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
         RETURNING {TERMINATION_COLUMNS}"
    );
    let c = t.calc;
    let result = db
        .query_typed_one(
            &sql,
            &[
                (&t.enrollment_id, Type::UUID),
                (&t.reason, Type::TEXT),
                (&t.notes, Type::TEXT),
                (&c.sessions_total, Type::INT4),
                (&c.sessions_completed, Type::INT4),
                (&c.sessions_remaining, Type::INT4),
                (&c.original_amount, Type::INT8),
                (&c.refund_amount, Type::INT8),
                (&c.coach_settlement, Type::INT8),
                (&c.platform_retention, Type::INT8),
                (&t.razorpay_payment_id, Type::TEXT),
                (&t.created_by, Type::TEXT),
            ],
        )
        .await;
    match result {
        Ok(r) => Ok(Termination::from_row(&r)?),
        Err(e)
            if e.as_db_error().and_then(|d| d.constraint())
                == Some("uq_terminations_one_active") =>
        {
            Err(InsertError::ActiveExists)
        }
        Err(e) => Err(e.into()),
    }
}

pub async fn lock_termination(
    db: &impl GenericClient,
    id: Uuid,
) -> Result<Option<Termination>, tokio_postgres::Error> {
    let sql = format!(
        "SELECT {TERMINATION_COLUMNS} FROM enrollment_terminations WHERE id = $1 FOR UPDATE"
    );
    one(db.query_typed_opt(&sql, &[(&id, Type::UUID)]).await?)
}

pub async fn lock_termination_by_refund_id(
    db: &impl GenericClient,
    refund_id: &str,
) -> Result<Option<Termination>, tokio_postgres::Error> {
    let sql = format!(
        "SELECT {TERMINATION_COLUMNS} FROM enrollment_terminations WHERE razorpay_refund_id = $1 FOR UPDATE"
    );
    one(db
        .query_typed_opt(&sql, &[(&refund_id, Type::TEXT)])
        .await?)
}

/// Moves a termination forward to `to`, only from a state that may precede it. Returns the new
/// row, or `None` when the move would not be forward (a late or repeated event).
pub async fn advance(
    db: &impl GenericClient,
    id: Uuid,
    to: RefundStatus,
    refund_id: Option<&str>,
    failure_reason: Option<&str>,
) -> Result<Option<Termination>, tokio_postgres::Error> {
    let from: Vec<&str> = to.allowed_from().to_vec();
    let sql = format!(
        "UPDATE enrollment_terminations SET
           refund_status = $2,
           razorpay_refund_id = COALESCE(razorpay_refund_id, $3),
           refund_initiated_at = CASE WHEN $3::TEXT IS NOT NULL THEN COALESCE(refund_initiated_at, NOW())
                                      ELSE refund_initiated_at END,
           refund_completed_at = CASE WHEN $2 = 'completed' THEN NOW() ELSE refund_completed_at END,
           refund_failure_reason = CASE WHEN $2 = 'failed' THEN $4 ELSE refund_failure_reason END,
           updated_at = NOW()
         WHERE id = $1 AND refund_status = ANY($5)
         RETURNING {TERMINATION_COLUMNS}"
    );
    let row = db
        .query_typed_opt(
            &sql,
            &[
                (&id, Type::UUID),
                (&to.as_str(), Type::TEXT),
                (&refund_id, Type::TEXT),
                (&failure_reason, Type::TEXT),
                (&from, Type::TEXT_ARRAY),
            ],
        )
        .await?;
    one(row)
}

pub async fn terminate_enrollment(
    db: &impl GenericClient,
    enrollment_id: Uuid,
) -> Result<u64, tokio_postgres::Error> {
    db.execute_typed(
        "UPDATE enrollments SET status = 'terminated', updated_at = NOW()
         WHERE id = $1 AND status <> 'terminated'",
        &[(&enrollment_id, Type::UUID)],
    )
    .await
}

pub async fn cancel_remaining_sessions(
    db: &impl GenericClient,
    enrollment_id: Uuid,
) -> Result<u64, tokio_postgres::Error> {
    db.execute_typed(
        "UPDATE scheduled_sessions SET status = 'cancelled',
           cancellation_reason = 'Enrollment terminated - refund processed'
         WHERE enrollment_id = $1 AND status IN ('scheduled', 'pending')",
        &[(&enrollment_id, Type::UUID)],
    )
    .await
}

pub struct EnrollmentContact {
    pub parent_id: Option<Uuid>,
    pub child_name: Option<String>,
}

pub async fn enrollment_contact(
    db: &impl GenericClient,
    enrollment_id: Uuid,
) -> Result<EnrollmentContact, tokio_postgres::Error> {
    let row = db
        .query_typed_opt(
            "SELECT e.parent_id, COALESCE(e.child_name, c.name)
             FROM enrollments e LEFT JOIN children c ON c.id = e.child_id WHERE e.id = $1",
            &[(&enrollment_id, Type::UUID)],
        )
        .await?;
    Ok(match row {
        Some(r) => EnrollmentContact {
            parent_id: r.try_get(0)?,
            child_name: r.try_get(1)?,
        },
        None => EnrollmentContact {
            parent_id: None,
            child_name: None,
        },
    })
}

/// Terminations whose gateway outcome is not final and that have not moved for `min_age_secs`.
pub async fn due_for_sync(
    db: &impl GenericClient,
    min_age_secs: i64,
    limit: i64,
) -> Result<Vec<Termination>, tokio_postgres::Error> {
    let sql = format!(
        "SELECT {TERMINATION_COLUMNS} FROM enrollment_terminations
         WHERE refund_status IN ('pending', 'processing')
           AND updated_at <= NOW() - make_interval(secs => $1::DOUBLE PRECISION)
         ORDER BY updated_at LIMIT $2"
    );
    let secs = min_age_secs as f64;
    db.query_typed(&sql, &[(&secs, Type::FLOAT8), (&limit, Type::INT8)])
        .await?
        .iter()
        .map(Termination::from_row)
        .collect()
}

/// A failed termination whose refund Razorpay holds after all (a late `refund.processed`, or a
/// refund found in Razorpay's list before giving up): back to `processing` with that refund.
/// Only from `failed`; `None` otherwise.
pub async fn revive_failed(
    db: &impl GenericClient,
    id: Uuid,
    refund_id: &str,
) -> Result<Option<Termination>, tokio_postgres::Error> {
    let sql = format!(
        "UPDATE enrollment_terminations SET refund_status = 'processing',
           razorpay_refund_id = $2, refund_failure_reason = NULL,
           refund_initiated_at = COALESCE(refund_initiated_at, NOW()), updated_at = NOW()
         WHERE id = $1 AND refund_status = 'failed'
         RETURNING {TERMINATION_COLUMNS}"
    );
    one(db
        .query_typed_opt(&sql, &[(&id, Type::UUID), (&refund_id, Type::TEXT)])
        .await?)
}

/// Whether the enrollment has a termination other than `except` that has not failed.
pub async fn other_active_exists(
    db: &impl GenericClient,
    enrollment_id: Uuid,
    except: Uuid,
) -> Result<bool, tokio_postgres::Error> {
    Ok(db
        .query_typed_opt(
            "SELECT 1 FROM enrollment_terminations
             WHERE enrollment_id = $1 AND id <> $2 AND refund_status <> 'failed' LIMIT 1",
            &[(&enrollment_id, Type::UUID), (&except, Type::UUID)],
        )
        .await?
        .is_some())
}

/// Keeps the attempt that ended (its refund id and reason) before a retry replaces it.
pub async fn insert_attempt_history(
    db: &impl GenericClient,
    t: &Termination,
    retried_by: &str,
) -> Result<u64, tokio_postgres::Error> {
    db.execute_typed(
        "INSERT INTO refund_attempts (termination_id, attempt, razorpay_refund_id, failure_reason,
           ended_at, retried_by)
         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING",
        &[
            (&t.id, Type::UUID),
            (&t.refund_attempt, Type::INT4),
            (&t.razorpay_refund_id, Type::TEXT),
            (&t.refund_failure_reason, Type::TEXT),
            (&t.updated_at, Type::TIMESTAMPTZ),
            (&retried_by, Type::TEXT),
        ],
    )
    .await
}

/// Starts the next attempt of a failed termination: `pending` again, under attempt n + 1, with
/// no refund id. Only from `failed`; `None` otherwise.
pub async fn begin_next_attempt(
    db: &impl GenericClient,
    id: Uuid,
) -> Result<Option<Termination>, tokio_postgres::Error> {
    let sql = format!(
        "UPDATE enrollment_terminations SET refund_status = 'pending',
           refund_attempt = refund_attempt + 1, razorpay_refund_id = NULL,
           refund_failure_reason = NULL, refund_initiated_at = NULL, updated_at = NOW()
         WHERE id = $1 AND refund_status = 'failed'
         RETURNING {TERMINATION_COLUMNS}"
    );
    one(db.query_typed_opt(&sql, &[(&id, Type::UUID)]).await?)
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PastAttempt {
    pub attempt: i32,
    pub razorpay_refund_id: Option<String>,
    pub failure_reason: Option<String>,
    pub ended_at: DateTime<Utc>,
    pub retried_by: String,
}

/// The attempts of a termination that ended before its current one, oldest first.
pub async fn attempt_history(
    db: &impl GenericClient,
    id: Uuid,
) -> Result<Vec<PastAttempt>, tokio_postgres::Error> {
    db.query_typed(
        "SELECT attempt, razorpay_refund_id, failure_reason, ended_at, retried_by
         FROM refund_attempts WHERE termination_id = $1 ORDER BY attempt",
        &[(&id, Type::UUID)],
    )
    .await?
    .iter()
    .map(|r| {
        Ok(PastAttempt {
            attempt: r.try_get(0)?,
            razorpay_refund_id: r.try_get(1)?,
            failure_reason: r.try_get(2)?,
            ended_at: r.try_get(3)?,
            retried_by: r.try_get(4)?,
        })
    })
    .collect()
}

/// The terminations of a payment that wait for a refund (pending with none made yet, or
/// failed), locked: a refund made by hand in Razorpay's dashboard is linked to the one.
pub async fn lock_waiting_for_payment(
    db: &impl GenericClient,
    payment_id: &str,
) -> Result<Vec<Termination>, tokio_postgres::Error> {
    let sql = format!(
        "SELECT {TERMINATION_COLUMNS} FROM enrollment_terminations
         WHERE razorpay_payment_id = $1
           AND ((refund_status = 'pending' AND razorpay_refund_id IS NULL) OR refund_status = 'failed')
         ORDER BY created_at FOR UPDATE"
    );
    db.query_typed(&sql, &[(&payment_id, Type::TEXT)])
        .await?
        .iter()
        .map(Termination::from_row)
        .collect()
}
