//! The `idempotency_keys` statements: one function per statement, unnamed with their parameter
//! types (one round trip, pooler-safe).
use serde_json::Value;
use tokio_postgres::types::Type;
use tokio_postgres::GenericClient;

type R<T> = Result<T, tokio_postgres::Error>;

/// Claims the key for this request; `false` when the key is already there.
pub async fn insert_key(
    db: &impl GenericClient,
    scope: &str,
    key: &str,
    request_hash: &str,
) -> R<bool> {
    Ok(db
        .execute_typed(
            "INSERT INTO idempotency_keys (scope, key, request_hash) VALUES ($1, $2, $3)
             ON CONFLICT (scope, key) DO NOTHING",
            &[
                (&scope, Type::TEXT),
                (&key, Type::TEXT),
                (&request_hash, Type::TEXT),
            ],
        )
        .await?
        == 1)
}

/// What a key holds: the request's hash and, once finished, the saved status and body.
pub struct Saved {
    pub request_hash: String,
    pub status: Option<i32>,
    pub body: Option<Value>,
}

pub async fn saved(db: &impl GenericClient, scope: &str, key: &str) -> R<Option<Saved>> {
    let row = db
        .query_typed_opt(
            "SELECT request_hash, response_status, response_body FROM idempotency_keys
             WHERE scope = $1 AND key = $2",
            &[(&scope, Type::TEXT), (&key, Type::TEXT)],
        )
        .await?;
    row.map(|r| {
        Ok(Saved {
            request_hash: r.try_get(0)?,
            status: r.try_get(1)?,
            body: r.try_get(2)?,
        })
    })
    .transpose()
}

/// Takes over an unfinished key of the same request that is older than `lease_secs`.
pub async fn take_over(
    db: &impl GenericClient,
    scope: &str,
    key: &str,
    request_hash: &str,
    lease_secs: f64,
) -> R<bool> {
    Ok(db
        .query_typed_opt(
            "UPDATE idempotency_keys SET created_at = NOW()
             WHERE scope = $1 AND key = $2 AND request_hash = $3 AND response_status IS NULL
               AND created_at < NOW() - make_interval(secs => $4::DOUBLE PRECISION)
             RETURNING 1",
            &[
                (&scope, Type::TEXT),
                (&key, Type::TEXT),
                (&request_hash, Type::TEXT),
                (&lease_secs, Type::FLOAT8),
            ],
        )
        .await?
        .is_some())
}

pub async fn forget(db: &impl GenericClient, scope: &str, key: &str) -> R<u64> {
    db.execute_typed(
        "DELETE FROM idempotency_keys WHERE scope = $1 AND key = $2",
        &[(&scope, Type::TEXT), (&key, Type::TEXT)],
    )
    .await
}

pub async fn save(
    db: &impl GenericClient,
    scope: &str,
    key: &str,
    status: i32,
    body: &Value,
) -> R<u64> {
    db.execute_typed(
        "UPDATE idempotency_keys SET response_status = $3, response_body = $4
         WHERE scope = $1 AND key = $2",
        &[
            (&scope, Type::TEXT),
            (&key, Type::TEXT),
            (&status, Type::INT4),
            (body, Type::JSONB),
        ],
    )
    .await
}
