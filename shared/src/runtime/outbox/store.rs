//! The outbox's statements: one function per statement, unnamed with their parameter types.
use serde_json::Value;
use tokio_postgres::types::Type;
use tokio_postgres::GenericClient;
use uuid::Uuid;

pub async fn insert(
    db: &impl GenericClient,
    id: Uuid,
    topic: &str,
    payload: &Value,
) -> Result<u64, tokio_postgres::Error> {
    db.execute_typed(
        "INSERT INTO outbox (id, topic, payload) VALUES ($1, $2, $3)",
        &[
            (&id, Type::UUID),
            (&topic, Type::TEXT),
            (payload, Type::JSONB),
        ],
    )
    .await
}

/// The row's topic and payload, locked, when it is still unpublished and no one else holds it.
pub async fn lock_unpublished(
    db: &impl GenericClient,
    id: Uuid,
) -> Result<Option<(String, Value)>, tokio_postgres::Error> {
    let row = db
        .query_typed_opt(
            "SELECT topic, payload FROM outbox
             WHERE id = $1 AND published_at IS NULL FOR UPDATE SKIP LOCKED",
            &[(&id, Type::UUID)],
        )
        .await?;
    row.map(|r| Ok((r.try_get(0)?, r.try_get(1)?))).transpose()
}

pub async fn mark_published(
    db: &impl GenericClient,
    id: Uuid,
) -> Result<u64, tokio_postgres::Error> {
    db.execute_typed(
        "UPDATE outbox SET published_at = NOW(), attempts = attempts + 1, last_error = NULL
         WHERE id = $1",
        &[(&id, Type::UUID)],
    )
    .await
}

/// Records a failed send and backs the row off (2^attempts s, at most 5 min).
pub async fn record_failure(
    db: &impl GenericClient,
    id: Uuid,
    error: &str,
) -> Result<u64, tokio_postgres::Error> {
    db.execute_typed(
        "UPDATE outbox SET attempts = attempts + 1, last_error = $2,
           next_attempt_at = NOW() + make_interval(secs => LEAST(300, 2 ^ LEAST(attempts, 8)))
         WHERE id = $1",
        &[(&id, Type::UUID), (&error, Type::TEXT)],
    )
    .await
}

/// An outbox row waiting to be published.
pub struct Pending {
    pub id: Uuid,
    pub topic: String,
    pub payload: Value,
}

/// Locks up to `limit` unpublished rows that are due, oldest first, skipping rows another
/// publisher holds (held until the transaction ends).
pub async fn lock_due(
    db: &impl GenericClient,
    limit: i64,
) -> Result<Vec<Pending>, tokio_postgres::Error> {
    let rows = db
        .query_typed(
            "SELECT id, topic, payload FROM outbox
             WHERE published_at IS NULL AND next_attempt_at <= NOW()
             ORDER BY created_at, id LIMIT $1 FOR UPDATE SKIP LOCKED",
            &[(&limit, Type::INT8)],
        )
        .await?;
    rows.iter()
        .map(|r| {
            Ok(Pending {
                id: r.try_get(0)?,
                topic: r.try_get(1)?,
                payload: r.try_get(2)?,
            })
        })
        .collect()
}

/// Deletes up to `limit` rows published more than `days` days ago; returns how many.
pub async fn delete_published_before(
    db: &impl GenericClient,
    days: i32,
    limit: i64,
) -> Result<u64, tokio_postgres::Error> {
    db.execute_typed(
        "DELETE FROM outbox WHERE id IN (
           SELECT id FROM outbox
           WHERE published_at IS NOT NULL AND published_at < NOW() - make_interval(days => $1)
           LIMIT $2)",
        &[(&days, Type::INT4), (&limit, Type::INT8)],
    )
    .await
}
