//! `Idempotency-Key` for admin POSTs, as explicit steps: `try_processing` says whether to
//! `StartProcessing` or `ReturnSavedResponse`; after the work, `save_response` stores the answer
//! for replay and returns it. The same key with the same body replays the stored response; the
//! same key with another body is a 409; a key whose first request is still running is a 409
//! too. Responses of 5xx are not stored, so the caller can retry.
pub mod store;

use crate::runtime::http::{json_response, ApiError};
use deadpool_postgres::Pool;
use lambda_http::{Body, Response};
use serde_json::Value;
use sha2::{Digest, Sha256};

/// What to do with a request after `try_processing`.
pub enum NextAction {
    /// Do the work, then hand its result to `save_response` with this claim.
    StartProcessing(Claim),
    /// Seen before with the same body and finished: send this again.
    ReturnSavedResponse(Response<Body>),
}

/// The key this request holds while it works (none when it came without one).
pub struct Claim(Option<(String, String)>);

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

/// Step 1: claims `key` within `scope` for this body, or finds its saved answer. Without a key
/// the request simply proceeds.
pub async fn try_processing(
    pool: &Pool,
    scope: &str,
    key: Option<&str>,
    body: &[u8],
) -> Result<NextAction, ApiError> {
    let Some(key) = key else {
        return Ok(NextAction::StartProcessing(Claim(None)));
    };
    validate_key(key)?;
    let request_hash = hash_body(body);
    let claim = || NextAction::StartProcessing(Claim(Some((scope.to_string(), key.to_string()))));
    let client = pool.get().await?;
    if store::insert_key(&**client, scope, key, &request_hash).await? {
        return Ok(claim());
    }
    let saved = store::saved(&**client, scope, key).await?;
    // A first request that died (its Lambda timed out, its connection dropped) never finishes
    // its key: after the lease the same request may take it over instead of a 409 forever.
    if store::take_over(&**client, scope, key, &request_hash, LEASE.as_secs_f64()).await? {
        tracing::warn!(
            scope,
            "idempotency key abandoned by its first request; taken over"
        );
        return Ok(claim());
    }
    let Some(saved) = saved else {
        // Abandoned between our insert and read: treat it as in progress; a retry will proceed.
        return Err(in_progress());
    };
    if saved.request_hash != request_hash {
        return Err(ApiError::Conflict {
            code: "idempotency_key_reused",
            message: "this Idempotency-Key was already used with a different request body".into(),
        });
    }
    match (saved.status, saved.body) {
        (Some(s), Some(b)) => {
            let mut resp = json_response(u16::try_from(s).unwrap_or(200), &b);
            resp.headers_mut().insert(
                "idempotent-replayed",
                http::HeaderValue::from_static("true"),
            );
            Ok(NextAction::ReturnSavedResponse(resp))
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

/// Step 2: stores the work's answer under the claimed key (an error's body too, as it was
/// answered; a 5xx forgets the key so a retry runs again) and returns the answer.
pub async fn save_response(
    pool: &Pool,
    claim: Claim,
    request_id: &str,
    result: Result<(u16, Value), ApiError>,
) -> Result<Response<Body>, ApiError> {
    if let Claim(Some((scope, key))) = &claim {
        let (status, answer) = match &result {
            Ok((s, b)) => (*s, b.clone()),
            Err(e) => (e.status(), e.to_body(request_id)),
        };
        let saved = async {
            let client = pool.get().await?;
            if status >= 500 {
                store::forget(&**client, scope, key).await?;
            } else {
                store::save(&**client, scope, key, i32::from(status), &answer).await?;
            }
            Ok::<_, anyhow::Error>(())
        }
        .await;
        if let Err(e) = saved {
            tracing::warn!(error = %e, "could not record the idempotent response");
        }
    }
    let (status, answer) = result?;
    Ok(json_response(status, &answer))
}
