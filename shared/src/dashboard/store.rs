//! The dashboard's SQL: one filtered query for the list and the export, one count, and the
//! stats in a single round trip. Every sum is done by Postgres, served by the indexes of
//! migration 0005.
use super::filters::{like_pattern, Filters};
use chrono::{DateTime, Utc};
use tokio_postgres::types::{ToSql, Type};
use tokio_postgres::GenericClient;
use tokio_postgres::Row;
use uuid::Uuid;

pub const FILTER: &str = "($1::TIMESTAMPTZ IS NULL OR p.created_at >= $1)
    AND ($2::TIMESTAMPTZ IS NULL OR p.created_at < $2)
    AND (cardinality($3::TEXT[]) = 0 OR p.status = ANY($3))
    AND ($4::TEXT IS NULL
         OR p.razorpay_payment_id = $4 OR p.razorpay_order_id = $4
         OR p.parent_id IN (SELECT pa.id FROM parents pa WHERE pa.email ILIKE $5 OR pa.phone ILIKE $5 OR pa.name ILIKE $5)
         OR p.enrollment_id IN (SELECT e.id FROM enrollments e WHERE e.child_name ILIKE $5)
         OR p.enrollment_id IN (SELECT e.id FROM enrollments e JOIN children c ON c.id = e.child_id WHERE c.name ILIKE $5))";

pub const SELECT_ROWS: &str =
    "SELECT p.id, p.created_at, pa.name AS parent_name, pa.email AS parent_email,
       COALESCE(e.child_name, c.name) AS child_name, p.amount, p.currency, p.status,
       p.razorpay_payment_id, p.razorpay_order_id, r.refund_status, r.refund_amount
  FROM payments p
  LEFT JOIN parents pa ON pa.id = p.parent_id
  LEFT JOIN enrollments e ON e.id = p.enrollment_id
  LEFT JOIN children c ON c.id = e.child_id
  LEFT JOIN LATERAL (
    SELECT t.refund_status, t.refund_amount FROM enrollment_terminations t
    WHERE t.razorpay_payment_id = p.razorpay_payment_id
    ORDER BY (t.refund_status = 'failed'), t.created_at DESC LIMIT 1) r ON TRUE";

pub struct PaymentRow {
    pub id: Uuid,
    pub created_at: DateTime<Utc>,
    pub parent_name: Option<String>,
    pub parent_email: Option<String>,
    pub child_name: Option<String>,
    pub amount: i64,
    pub currency: String,
    pub status: String,
    pub razorpay_payment_id: Option<String>,
    pub razorpay_order_id: Option<String>,
    pub refund_status: Option<String>,
    pub refund_amount: Option<i64>,
}

impl PaymentRow {
    pub fn from_row(r: &Row) -> Result<Self, tokio_postgres::Error> {
        Ok(PaymentRow {
            id: r.try_get("id")?,
            created_at: r.try_get("created_at")?,
            parent_name: r.try_get("parent_name")?,
            parent_email: r.try_get("parent_email")?,
            child_name: r.try_get("child_name")?,
            amount: r.try_get("amount")?,
            currency: r.try_get("currency")?,
            status: r.try_get("status")?,
            razorpay_payment_id: r.try_get("razorpay_payment_id")?,
            razorpay_order_id: r.try_get("razorpay_order_id")?,
            refund_status: r.try_get("refund_status")?,
            refund_amount: r.try_get("refund_amount")?,
        })
    }
}

struct Params {
    from: Option<DateTime<Utc>>,
    to: Option<DateTime<Utc>>,
    statuses: Vec<String>,
    q: Option<String>,
    like: Option<String>,
}

impl Params {
    fn new(f: &Filters) -> Self {
        Params {
            from: f.from,
            to: f.to,
            statuses: f.statuses.clone(),
            q: f.q.clone(),
            like: f.q.as_deref().map(like_pattern),
        }
    }
    /// The five filter parameters with their types (unnamed statements need them).
    fn typed(&self) -> Vec<(&(dyn ToSql + Sync), Type)> {
        vec![
            (&self.from, Type::TIMESTAMPTZ),
            (&self.to, Type::TIMESTAMPTZ),
            (&self.statuses, Type::TEXT_ARRAY),
            (&self.q, Type::TEXT),
            (&self.like, Type::TEXT),
        ]
    }
}

pub async fn count_payments(
    db: &impl GenericClient,
    f: &Filters,
) -> Result<i64, tokio_postgres::Error> {
    let p = Params::new(f);
    let sql = format!("SELECT COUNT(*) FROM payments p WHERE {FILTER}");
    db.query_typed_one(&sql, &p.typed()).await?.try_get(0)
}

/// The total of a range without a text search, from the per-day and per-hour counts and the
/// minutes at the range's ends (`total_plan`); `None` while the counts are not built (the caller
/// counts directly then).
pub async fn count_by_plan(
    db: &impl GenericClient,
    plan: &super::total_plan::TotalPlan,
    statuses: &[String],
) -> Result<Option<i64>, tokio_postgres::Error> {
    let use_days = plan.days.is_some();
    let (first, end) = plan.days.unwrap_or((None, None));
    let hour_from: Vec<_> = plan.hours.iter().map(|h| h.0).collect();
    let hour_to: Vec<_> = plan.hours.iter().map(|h| h.1).collect();
    let direct_from: Vec<_> = plan.direct.iter().map(|d| d.0).collect();
    let direct_to: Vec<_> = plan.direct.iter().map(|d| d.1).collect();
    let statuses: Vec<&str> = statuses.iter().map(String::as_str).collect();
    db.query_typed_one(
        "SELECT CASE WHEN (SELECT complete FROM payment_day_counts_state) THEN
           (CASE WHEN $1 THEN (SELECT COALESCE(SUM(d.n), 0)::BIGINT FROM payment_day_counts d
                 WHERE ($2::DATE IS NULL OR d.day >= $2) AND ($3::DATE IS NULL OR d.day < $3)
                   AND (cardinality($8::TEXT[]) = 0 OR d.status = ANY($8))) ELSE 0 END)
         + (SELECT COALESCE(SUM(x.n), 0)::BIGINT FROM unnest($4::TIMESTAMP[], $5::TIMESTAMP[]) s(a, b),
              LATERAL (SELECT COALESCE(SUM(h.n), 0) AS n FROM payment_hour_counts h
                       WHERE h.hour >= s.a AND h.hour < s.b
                         AND (cardinality($8::TEXT[]) = 0 OR h.status = ANY($8))) x)
         + (SELECT COALESCE(SUM(x.n), 0)::BIGINT FROM unnest($6::TIMESTAMPTZ[], $7::TIMESTAMPTZ[]) s(a, b),
              LATERAL (SELECT COUNT(*) AS n FROM payments p
                       WHERE p.created_at >= s.a AND p.created_at < s.b
                         AND (cardinality($8::TEXT[]) = 0 OR p.status = ANY($8))) x)
         END",
        &[
            (&use_days, Type::BOOL),
            (&first, Type::DATE),
            (&end, Type::DATE),
            (&hour_from, Type::TIMESTAMP_ARRAY),
            (&hour_to, Type::TIMESTAMP_ARRAY),
            (&direct_from, Type::TIMESTAMPTZ_ARRAY),
            (&direct_to, Type::TIMESTAMPTZ_ARRAY),
            (&statuses, Type::TEXT_ARRAY),
        ],
    )
    .await?
    .try_get(0)
}

/// One page of matching rows, newest first (`id` breaks ties, so pages never overlap).
pub async fn list_payments(
    db: &impl GenericClient,
    f: &Filters,
) -> Result<Vec<PaymentRow>, tokio_postgres::Error> {
    select_payments(db, f, f.limit, (f.page - 1) * f.limit).await
}

/// Every matching row, newest first, up to `cap`, collected (tests and the benchmark's
/// baseline; the export streams with `stream_payments`).
pub async fn export_payments(
    db: &impl GenericClient,
    f: &Filters,
    cap: i64,
) -> Result<Vec<PaymentRow>, tokio_postgres::Error> {
    select_payments(db, f, cap, 0).await
}

/// Every matching row, newest first, up to `cap`, as they arrive from the server: the export
/// writes each into its CSV and forgets it.
pub async fn stream_payments(
    db: &impl GenericClient,
    f: &Filters,
    cap: i64,
) -> Result<
    impl futures::Stream<Item = Result<PaymentRow, tokio_postgres::Error>>,
    tokio_postgres::Error,
> {
    use futures::StreamExt;
    let p = Params::new(f);
    let sql = format!(
        "{SELECT_ROWS} WHERE {FILTER} ORDER BY p.created_at DESC, p.id DESC LIMIT $6 OFFSET 0"
    );
    let mut params = p.typed();
    params.push((&cap, Type::INT8));
    let rows = db.query_typed_raw(&sql, params).await?;
    Ok(rows.map(|r| r.and_then(|r| PaymentRow::from_row(&r))))
}

async fn select_payments(
    db: &impl GenericClient,
    f: &Filters,
    limit: i64,
    offset: i64,
) -> Result<Vec<PaymentRow>, tokio_postgres::Error> {
    let p = Params::new(f);
    // The page's payment ids first, in a subquery the planner keeps apart (it has a LIMIT), then
    // their rows, names and refund: planning the joins over twenty rows instead of over the
    // whole table keeps a page's cost flat as the table grows (~5 ms of planning at 1M
    // otherwise), and picking ids alone lets the skipped entries of a deep page come from the
    // index `(created_at, id) INCLUDE (status)` without visiting their table pages (0023).
    let page = format!(
        "(SELECT p.* FROM payments p WHERE p.id IN (SELECT p.id FROM payments p WHERE {FILTER}
          ORDER BY p.created_at DESC, p.id DESC LIMIT $6 OFFSET $7)) p"
    );
    let sql = format!(
        "{} ORDER BY p.created_at DESC, p.id DESC",
        SELECT_ROWS.replacen("FROM payments p", &format!("FROM {page}"), 1)
    );
    let mut params = p.typed();
    params.push((&limit, Type::INT8));
    params.push((&offset, Type::INT8));
    db.query_typed(&sql, &params)
        .await?
        .iter()
        .map(PaymentRow::from_row)
        .collect()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stats {
    pub today_revenue: i64,
    pub month_revenue: i64,
    pub today_refunds: i64,
    pub month_refunds: i64,
    pub failed_count: i64,
    pub pending_refunds: i64,
}

pub const STATS_SQL: &str = "SELECT
  (SELECT COALESCE(SUM(amount), 0)::BIGINT FROM payments
     WHERE status IN ('captured', 'refunded') AND currency = 'INR' AND captured_at >= $1 AND captured_at < $2),
  (SELECT COALESCE(SUM(amount), 0)::BIGINT FROM payments
     WHERE status IN ('captured', 'refunded') AND currency = 'INR' AND captured_at >= $3 AND captured_at < $4),
  (SELECT COALESCE(SUM(refund_amount), 0)::BIGINT FROM enrollment_terminations
     WHERE refund_status IN ('processing', 'completed') AND refund_initiated_at >= $1 AND refund_initiated_at < $2),
  (SELECT COALESCE(SUM(refund_amount), 0)::BIGINT FROM enrollment_terminations
     WHERE refund_status IN ('processing', 'completed') AND refund_initiated_at >= $3 AND refund_initiated_at < $4),
  (SELECT COUNT(*) FROM failed_payments WHERE converted_at IS NULL),
  (SELECT COUNT(*) FROM enrollment_terminations WHERE refund_status IN ('pending', 'processing'))";

/// `day` and `month` are [start, end) in UTC of the Indian day and month.
pub async fn stats(
    db: &impl GenericClient,
    day: (DateTime<Utc>, DateTime<Utc>),
    month: (DateTime<Utc>, DateTime<Utc>),
) -> Result<Stats, tokio_postgres::Error> {
    let r = db
        .query_typed_one(
            STATS_SQL,
            &[
                (&day.0, Type::TIMESTAMPTZ),
                (&day.1, Type::TIMESTAMPTZ),
                (&month.0, Type::TIMESTAMPTZ),
                (&month.1, Type::TIMESTAMPTZ),
            ],
        )
        .await?;
    Ok(Stats {
        today_revenue: r.try_get(0)?,
        month_revenue: r.try_get(1)?,
        today_refunds: r.try_get(2)?,
        month_refunds: r.try_get(3)?,
        failed_count: r.try_get(4)?,
        pending_refunds: r.try_get(5)?,
    })
}
