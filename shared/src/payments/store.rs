//! Retry-link rows (`payment_retry_tokens` joined with `failed_payments`): one function per
//! statement, each an unnamed statement with its parameter types (one round trip, pooler-safe).
use tokio_postgres::types::Type;
use tokio_postgres::GenericClient;
use uuid::Uuid;

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
