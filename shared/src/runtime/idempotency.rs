//! `Idempotency-Key` for admin POSTs: the same key with the same body replays the stored
//! response; the same key with another body is a 409; a key whose first request is still
//! running is a 409 too. Responses of 5xx are not stored, so the caller can retry.
use crate::runtime::http::{json_response, ApiError};
use deadpool_postgres::Pool;
use lambda_http::{Body, Response};
use serde_json::Value;
use sha2::{Digest, Sha256};
use tokio_postgres::types::Type;

pub enum Begin {
    /// First time this key is seen: run the request, then `finish`.
    Proceed,
    /// Seen before with the same body and finished: send this again.
    Replay(Response<Body>),
}

/// How long a key stays "in progress" before a retry may take it over: well past any function's
/// timeout (20 s for the refund), so the first request is surely gone.
pub const LEASE: std::time::Duration = std::time::Duration::from_secs(60);

pub fn validate_key(key: &str) -> Result<(), ApiError> {
    if key.is_empty() || key.len() > 255 || !key.chars().all(|c| c.is_ascii_graphic()) {
        return Err(ApiError::invalid_field(
            "Idempotency-Key",
            "must be 1 to 255 visible ASCII characters",
        ));
    }
    Ok(())
}

pub fn hash_body(body: &[u8]) -> String {
    hex::encode(Sha256::digest(body))
}

pub async fn begin(
    pool: &Pool,
    scope: &str,
    key: &str,
    request_hash: &str,
) -> Result<Begin, ApiError> {
    validate_key(key)?;
    let client = pool.get().await?;
    let inserted = client
        .execute_typed(
            "INSERT INTO idempotency_keys (scope, key, request_hash) VALUES ($1, $2, $3)
             ON CONFLICT (scope, key) DO NOTHING",
            &[
                (&scope, Type::TEXT),
                (&key, Type::TEXT),
                (&request_hash, Type::TEXT),
            ],
        )
        .await?;
    if inserted == 1 {
        return Ok(Begin::Proceed);
    }
    let row = client
        .query_typed_opt(
            "SELECT request_hash, response_status, response_body FROM idempotency_keys
             WHERE scope = $1 AND key = $2",
            &[(&scope, Type::TEXT), (&key, Type::TEXT)],
        )
        .await?;
    // A first request that died (its Lambda timed out, its connection dropped) never finishes
    // its key: after the lease the same request may take it over instead of a 409 forever.
    let taken_over = client
        .query_typed_opt(
            "UPDATE idempotency_keys SET created_at = NOW()
             WHERE scope = $1 AND key = $2 AND request_hash = $3 AND response_status IS NULL
               AND created_at < NOW() - make_interval(secs => $4::DOUBLE PRECISION)
             RETURNING 1",
            &[
                (&scope, Type::TEXT),
                (&key, Type::TEXT),
                (&request_hash, Type::TEXT),
                (&LEASE.as_secs_f64(), Type::FLOAT8),
            ],
        )
        .await?;
    if taken_over.is_some() {
        tracing::warn!(
            scope,
            "idempotency key abandoned by its first request; taken over"
        );
        return Ok(Begin::Proceed);
    }
    let Some(row) = row else {
        // Abandoned between our insert and read: treat it as in progress; a retry will proceed.
        return Err(in_progress());
    };
    let stored_hash: String = row.try_get(0)?;
    if stored_hash != request_hash {
        return Err(ApiError::Conflict {
            code: "idempotency_key_reused",
            message: "this Idempotency-Key was already used with a different request body".into(),
        });
    }
    let status: Option<i32> = row.try_get(1)?;
    let body: Option<Value> = row.try_get(2)?;
    match (status, body) {
        (Some(s), Some(b)) => {
            let mut resp = json_response(u16::try_from(s).unwrap_or(200), &b);
            resp.headers_mut().insert(
                "idempotent-replayed",
                http::HeaderValue::from_static("true"),
            );
            Ok(Begin::Replay(resp))
        }
        _ => Err(in_progress()),
    }
}

fn in_progress() -> ApiError {
    ApiError::Conflict {
        code: "idempotency_key_in_progress",
        message: "a request with this Idempotency-Key is still being processed".into(),
    }
}

/// Stores the response for replay, or forgets the key when the outcome was a server error.
pub async fn finish(pool: &Pool, scope: &str, key: &str, status: u16, body: &Value) {
    let result = async {
        let client = pool.get().await?;
        if status >= 500 {
            client
                .execute_typed(
                    "DELETE FROM idempotency_keys WHERE scope = $1 AND key = $2",
                    &[(&scope, Type::TEXT), (&key, Type::TEXT)],
                )
                .await?;
        } else {
            client
                .execute_typed(
                    "UPDATE idempotency_keys SET response_status = $3, response_body = $4
                     WHERE scope = $1 AND key = $2",
                    &[
                        (&scope, Type::TEXT),
                        (&key, Type::TEXT),
                        (&i32::from(status), Type::INT4),
                        (body, Type::JSONB),
                    ],
                )
                .await?;
        }
        Ok::<_, anyhow::Error>(())
    }
    .await;
    if let Err(e) = result {
        tracing::warn!(error = %e, "could not record the idempotent response");
    }
}

/// Runs `work` once per `key` (when the request has one) within `scope`: a first request runs
/// and its answer is stored; a repeat with the same body gets that answer again; another body,
/// or a repeat while the first still runs, is a 409. Without a key, `work` simply runs.
pub async fn once<F, Fut>(
    pool: &Pool,
    scope: &str,
    key: Option<&str>,
    body: &[u8],
    request_id: &str,
    work: F,
) -> Result<Response<Body>, ApiError>
where
    F: FnOnce() -> Fut,
    Fut: std::future::Future<Output = Result<(u16, Value), ApiError>>,
{
    let Some(key) = key else {
        let (status, answer) = work().await?;
        return Ok(json_response(status, &answer));
    };
    match begin(pool, scope, key, &hash_body(body)).await? {
        Begin::Replay(resp) => Ok(resp),
        Begin::Proceed => {
            let result = work().await;
            let (status, answer) = match &result {
                Ok((s, b)) => (*s, b.clone()),
                Err(e) => (e.status(), e.to_body(request_id)),
            };
            finish(pool, scope, key, status, &answer).await;
            let (status, answer) = result?;
            Ok(json_response(status, &answer))
        }
    }
}
