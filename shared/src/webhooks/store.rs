//! The webhook's statements: event records, failed payments, captures. One function per
//! statement, each an unnamed statement with its parameter types (one round trip, pooler-safe).
use tokio_postgres::types::Type;
use tokio_postgres::GenericClient;
use uuid::Uuid;

type R<T> = Result<T, tokio_postgres::Error>;

pub async fn event_recorded(db: &impl GenericClient, provider: &str, event_id: &str) -> R<bool> {
    Ok(db
        .query_typed_opt(
            "SELECT 1 FROM webhook_events WHERE provider = $1 AND event_id = $2",
            &[(&provider, Type::TEXT), (&event_id, Type::TEXT)],
        )
        .await?
        .is_some())
}

/// Records the event; `None` when this provider's event id is already recorded.
pub async fn insert_event(
    db: &impl GenericClient,
    provider: &str,
    event_id: &str,
    event_type: &str,
    raw: &str,
) -> R<Option<Uuid>> {
    let row = db
        .query_typed_opt(
            "INSERT INTO webhook_events (provider, event_id, event_type, raw_payload) VALUES ($1, $2, $3, $4)
             ON CONFLICT ON CONSTRAINT uq_webhook_events_provider_event DO NOTHING RETURNING id",
            &[
                (&provider, Type::TEXT),
                (&event_id, Type::TEXT),
                (&event_type, Type::TEXT),
                (&raw, Type::TEXT),
            ],
        )
        .await?;
    row.map(|r| r.try_get(0)).transpose()
}

pub async fn mark_event_processed(db: &impl GenericClient, id: Uuid, note: Option<&str>) -> R<u64> {
    db.execute_typed(
        "UPDATE webhook_events SET processed_at = NOW(), error = $2 WHERE id = $1",
        &[(&id, Type::UUID), (&note, Type::TEXT)],
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
