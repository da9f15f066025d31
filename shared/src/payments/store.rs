//! Retry-link rows (`payment_retry_tokens` joined with `failed_payments`): one function per
//! statement, each an unnamed statement with its parameter types (one round trip, pooler-safe).
use tokio_postgres::types::Type;
use tokio_postgres::GenericClient;
use uuid::Uuid;

type R<T> = Result<T, tokio_postgres::Error>;

/// What the retry page needs about a link, found by the token's hash.
pub struct RetryLink {
    pub order_id: String,
    pub used: bool,
    pub expired: bool,
    pub amount: Option<i64>,
    pub currency: String,
    pub parent_name: Option<String>,
    pub parent_email: Option<String>,
    pub parent_phone: Option<String>,
}

pub async fn retry_link(
    db: &impl GenericClient,
    token_hash: &str,
) -> Result<Option<RetryLink>, tokio_postgres::Error> {
    let row = db
        .query_typed_opt(
            "SELECT t.order_id, t.used_at IS NOT NULL OR f.converted_at IS NOT NULL AS used,
                    t.expires_at <= NOW() AS expired, f.amount, f.currency,
                    f.parent_name, f.parent_email, f.parent_phone
             FROM payment_retry_tokens t JOIN failed_payments f ON f.id = t.failed_payment_id
             WHERE t.token_hash = $1",
            &[(&token_hash, Type::TEXT)],
        )
        .await?;
    row.map(|r| {
        Ok(RetryLink {
            order_id: r.try_get("order_id")?,
            used: r.try_get("used")?,
            expired: r.try_get("expired")?,
            amount: r.try_get("amount")?,
            currency: r.try_get("currency")?,
            parent_name: r.try_get("parent_name")?,
            parent_email: r.try_get("parent_email")?,
            parent_phone: r.try_get("parent_phone")?,
        })
    })
    .transpose()
}

pub async fn insert_token(
    db: &impl GenericClient,
    order_id: &str,
    token_hash: &str,
    failed_payment_id: Uuid,
    valid_hours: i32,
    parent_email: Option<&str>,
) -> Result<u64, tokio_postgres::Error> {
    db.execute_typed(
        "INSERT INTO payment_retry_tokens (order_id, token_hash, failed_payment_id, expires_at, parent_email)
         VALUES ($1, $2, $3, NOW() + make_interval(hours => $4), $5)",
        &[
            (&order_id, Type::TEXT),
            (&token_hash, Type::TEXT),
            (&failed_payment_id, Type::UUID),
            (&valid_hours, Type::INT4),
            (&parent_email, Type::TEXT),
        ],
    )
    .await
}

pub async fn has_live_token(
    db: &impl GenericClient,
    order_id: &str,
) -> Result<bool, tokio_postgres::Error> {
    Ok(db
        .query_typed_opt(
            "SELECT 1 FROM payment_retry_tokens WHERE order_id = $1 AND used_at IS NULL AND expires_at > NOW() LIMIT 1",
            &[(&order_id, Type::TEXT)],
        )
        .await?
        .is_some())
}

/// The order is paid: its tokens are spent.
pub async fn spend_tokens(
    db: &impl GenericClient,
    order_id: &str,
) -> Result<u64, tokio_postgres::Error> {
    db.execute_typed(
        "UPDATE payment_retry_tokens SET used_at = NOW() WHERE order_id = $1 AND used_at IS NULL",
        &[(&order_id, Type::TEXT)],
    )
    .await
}

/// Serialises the events of one order until the transaction ends.
pub async fn lock_order(db: &impl GenericClient, order_id: &str) -> R<()> {
    db.query_typed(
        "SELECT pg_advisory_xact_lock(hashtext($1))",
        &[(&order_id, Type::TEXT)],
    )
    .await?;
    Ok(())
}

/// Whether the order is already paid (a capture, or a failure converted by one).
pub async fn order_paid(db: &impl GenericClient, order_id: &str) -> R<bool> {
    Ok(db
        .query_typed_opt(
            "SELECT 1 FROM payments WHERE razorpay_order_id = $1 AND status = 'captured'
             UNION ALL SELECT 1 FROM failed_payments WHERE razorpay_order_id = $1 AND converted_at IS NOT NULL
             LIMIT 1",
            &[(&order_id, Type::TEXT)],
        )
        .await?
        .is_some())
}

pub struct NewFailedPayment<'a> {
    pub payment_id: &'a str,
    pub order_id: &'a str,
    pub error_code: Option<&'a str>,
    pub error_description: Option<&'a str>,
    pub error_reason: Option<&'a str>,
    pub email: Option<&'a str>,
    pub phone: Option<&'a str>,
    pub parent_name: Option<&'a str>,
    pub child_name: Option<&'a str>,
    pub amount: Option<i64>,
    pub currency: Option<&'a str>,
    pub converted: bool,
}

/// One row per Razorpay payment; `None` when this payment's failure is already recorded.
pub async fn insert_failed_payment(
    db: &impl GenericClient,
    f: &NewFailedPayment<'_>,
) -> R<Option<Uuid>> {
    let row = db
        .query_typed_opt(
            "INSERT INTO failed_payments (razorpay_payment_id, razorpay_order_id, error_code, error_description,
               error_reason, parent_email, parent_phone, parent_name, child_name, amount, currency, converted_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, COALESCE($11, 'INR'), CASE WHEN $12 THEN NOW() END)
             ON CONFLICT ON CONSTRAINT uq_failed_payments_payment DO NOTHING RETURNING id",
            &[
                (&f.payment_id, Type::TEXT),
                (&f.order_id, Type::TEXT),
                (&f.error_code, Type::TEXT),
                (&f.error_description, Type::TEXT),
                (&f.error_reason, Type::TEXT),
                (&f.email, Type::TEXT),
                (&f.phone, Type::TEXT),
                (&f.parent_name, Type::TEXT),
                (&f.child_name, Type::TEXT),
                (&f.amount, Type::INT8),
                (&f.currency, Type::TEXT),
                (&f.converted, Type::BOOL),
            ],
        )
        .await?;
    row.map(|r| r.try_get(0)).transpose()
}

pub async fn count_retry(db: &impl GenericClient, failed_id: Uuid) -> R<u64> {
    db.execute_typed(
        "UPDATE failed_payments SET retry_count = retry_count + 1 WHERE id = $1",
        &[(&failed_id, Type::UUID)],
    )
    .await
}

pub async fn mark_notified(db: &impl GenericClient, failed_id: Uuid) -> R<u64> {
    db.execute_typed(
        "UPDATE failed_payments SET notified = TRUE WHERE id = $1",
        &[(&failed_id, Type::UUID)],
    )
    .await
}

/// The parent of an order: from its payment row, else by the email on the payment.
pub async fn parent_for_order(
    db: &impl GenericClient,
    order_id: &str,
    email: Option<&str>,
) -> R<Option<Uuid>> {
    let row = db
        .query_typed_opt(
            "SELECT parent_id FROM payments WHERE razorpay_order_id = $1 AND parent_id IS NOT NULL
             UNION ALL SELECT id FROM parents WHERE $2::TEXT IS NOT NULL AND lower(email) = lower($2)
             LIMIT 1",
            &[(&order_id, Type::TEXT), (&email, Type::TEXT)],
        )
        .await?;
    row.map(|r| r.try_get(0)).transpose()
}

/// Marks our payment row captured (forward only); returns the rows changed.
pub async fn capture_payment(
    db: &impl GenericClient,
    payment_id: &str,
    order_id: Option<&str>,
    captured_at: chrono::DateTime<chrono::Utc>,
) -> R<u64> {
    db.execute_typed(
        "UPDATE payments SET status = 'captured', razorpay_payment_id = COALESCE(razorpay_payment_id, $1),
           captured_at = COALESCE(captured_at, $3)
         WHERE (razorpay_payment_id = $1 OR (razorpay_payment_id IS NULL AND razorpay_order_id = $2))
           AND status NOT IN ('captured', 'refunded')",
        &[
            (&payment_id, Type::TEXT),
            (&order_id, Type::TEXT),
            (&captured_at, Type::TIMESTAMPTZ),
        ],
    )
    .await
}

pub async fn payment_known(db: &impl GenericClient, payment_id: &str) -> R<bool> {
    Ok(db
        .query_typed_opt(
            "SELECT 1 FROM payments WHERE razorpay_payment_id = $1",
            &[(&payment_id, Type::TEXT)],
        )
        .await?
        .is_some())
}

/// A captured payment we had no row for (created outside this backend).
pub async fn insert_captured_payment(
    db: &impl GenericClient,
    order_id: Option<&str>,
    payment_id: &str,
    amount: i64,
    currency: Option<&str>,
    captured_at: chrono::DateTime<chrono::Utc>,
) -> R<u64> {
    db.execute_typed(
        "INSERT INTO payments (razorpay_order_id, razorpay_payment_id, amount, currency, status, captured_at)
         VALUES ($1, $2, $3, COALESCE($4, 'INR'), 'captured', $5)
         ON CONFLICT (razorpay_payment_id) DO NOTHING",
        &[
            (&order_id, Type::TEXT),
            (&payment_id, Type::TEXT),
            (&amount, Type::INT8),
            (&currency, Type::TEXT),
            (&captured_at, Type::TIMESTAMPTZ),
        ],
    )
    .await
}

pub async fn convert_failures(db: &impl GenericClient, order_id: &str) -> R<u64> {
    db.execute_typed(
        "UPDATE failed_payments SET converted_at = NOW() WHERE razorpay_order_id = $1 AND converted_at IS NULL",
        &[(&order_id, Type::TEXT)],
    )
    .await
}
