//! Retry links: 32 random bytes, URL-safe base64 in the link, only their SHA-256 in the
//! database; valid 24 hours; spent when the order is paid. `GET /payments/retry?token=` gives
//! Razorpay Checkout what it needs to try again, and nothing else about the parent.
use crate::context::AppContext;
use crate::http::{json_response, query_param, respond, ApiError};
use base64::Engine;
use deadpool_postgres::GenericClient;
use lambda_http::{Body, Request, Response};
use rand::RngCore;
use serde_json::json;
use sha2::{Digest, Sha256};
use uuid::Uuid;

pub const FUNCTION: &str = "payment-retry";
pub const VALID_HOURS: i64 = 24;

/// A new token: (the value for the link, the hash to store).
pub fn new_token() -> (String, String) {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    let token = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes);
    let hash = hash_token(&token);
    (token, hash)
}

pub fn hash_token(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// 32 bytes in URL-safe base64 without padding are exactly 43 characters of that alphabet.
pub fn looks_like_token(token: &str) -> bool {
    token.len() == 43
        && token
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// Stores a token for an order's failure; returns the link value.
pub async fn insert_token(
    db: &impl GenericClient,
    order_id: &str,
    failed_payment_id: Uuid,
    parent_email: Option<&str>,
) -> Result<String, tokio_postgres::Error> {
    let (token, hash) = new_token();
    db.execute(
        "INSERT INTO payment_retry_tokens (order_id, token_hash, failed_payment_id, expires_at, parent_email)
         VALUES ($1, $2, $3, NOW() + make_interval(hours => $4), $5)",
        &[&order_id, &hash, &failed_payment_id, &(VALID_HOURS as i32), &parent_email],
    )
    .await?;
    Ok(token)
}

pub async fn has_live_token(
    db: &impl GenericClient,
    order_id: &str,
) -> Result<bool, tokio_postgres::Error> {
    Ok(db
        .query_opt(
            "SELECT 1 FROM payment_retry_tokens WHERE order_id = $1 AND used_at IS NULL AND expires_at > NOW() LIMIT 1",
            &[&order_id],
        )
        .await?
        .is_some())
}

/// The order is paid: its tokens are spent.
pub async fn spend_tokens(
    db: &impl GenericClient,
    order_id: &str,
) -> Result<u64, tokio_postgres::Error> {
    db.execute(
        "UPDATE payment_retry_tokens SET used_at = NOW() WHERE order_id = $1 AND used_at IS NULL",
        &[&order_id],
    )
    .await
}

pub async fn handle(ctx: &AppContext, req: Request) -> Response<Body> {
    respond(FUNCTION, req, |req, _rid| async move {
        let token = query_param(&req, "token").unwrap_or_default();
        if !looks_like_token(&token) {
            return Err(ApiError::NotFound("this payment link is not valid".into()));
        }
        let key_id = ctx
            .config
            .get("RAZORPAY_KEY_ID")
            .ok_or_else(|| ApiError::missing_config(&["RAZORPAY_KEY_ID"]))?;
        let client = ctx.pool.get().await?;
        let row = client
            .query_opt(
                "SELECT t.order_id, t.used_at IS NOT NULL OR f.converted_at IS NOT NULL AS used,
                        t.expires_at <= NOW() AS expired, f.amount, f.currency,
                        f.parent_name, f.parent_email, f.parent_phone
                 FROM payment_retry_tokens t JOIN failed_payments f ON f.id = t.failed_payment_id
                 WHERE t.token_hash = $1",
                &[&hash_token(&token)],
            )
            .await?;
        let Some(row) = row else {
            return Err(ApiError::NotFound("this payment link is not valid".into()));
        };
        if row.get::<_, bool>("used") {
            return Err(ApiError::Gone {
                code: "used",
                message: "this payment link was already used: the payment went through".into(),
            });
        }
        if row.get::<_, bool>("expired") {
            return Err(ApiError::Gone {
                code: "expired",
                message: "this payment link has expired; please ask us for a new one".into(),
            });
        }
        let amount: Option<i64> = row.get("amount");
        Ok(json_response(
            200,
            &json!({
                "order": {
                    "id": row.get::<_, String>("order_id"),
                    "amount": amount.unwrap_or(0),
                    "currency": row.get::<_, String>("currency"),
                },
                "prefill": {
                    "name": row.get::<_, Option<String>>("parent_name"),
                    "email": row.get::<_, Option<String>>("parent_email"),
                    "contact": row.get::<_, Option<String>>("parent_phone"),
                },
                "keyId": key_id,
            }),
        ))
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_43_url_safe_chars_and_distinct() {
        let (a, ha) = new_token();
        let (b, _) = new_token();
        assert!(looks_like_token(&a));
        assert_ne!(a, b);
        assert_eq!(ha, hash_token(&a));
        assert_ne!(ha, a);
        assert!(!looks_like_token("short"));
        assert!(!looks_like_token(&format!("{}=", &a[..42])));
    }
}
