//! Retry links: 32 random bytes, URL-safe base64 in the link, only their SHA-256 in the
//! database; valid 24 hours; spent when the order is paid. `GET /payments/retry?token=` gives
//! Razorpay Checkout what it needs to try again, and nothing else about the parent.
use crate::runtime::context::AppContext;
use crate::runtime::http::{json_response, query_param, respond, ApiError};
use base64::Engine;
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

/// The token of a failed payment's retry link: HMAC-SHA256 of its id under
/// `RETRY_LINK_SECRET`, URL-safe base64 (43 characters, as `new_token`). Derived, not stored: the
/// webhook keeps only its hash, the outbox and the queue carry only the failed payment's id, and
/// the dispatcher derives the same link at send time — a redelivered message sends the same link.
pub fn link_token(secret: &[u8], failed_payment_id: Uuid) -> String {
    use hmac::{Hmac, KeyInit, Mac};
    let mut mac = match Hmac::<Sha256>::new_from_slice(secret) {
        Ok(m) => m,
        // HMAC takes a key of any length; this arm cannot be reached.
        Err(_) => return String::new(),
    };
    mac.update(b"payment-retry-link:");
    mac.update(failed_payment_id.as_bytes());
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
}

/// The link a parent gets for a failed payment.
pub fn link_url(site_url: &str, secret: &[u8], failed_payment_id: Uuid) -> String {
    format!(
        "{}/payment/retry?token={}",
        site_url.trim_end_matches('/'),
        link_token(secret, failed_payment_id)
    )
}

/// Stores the retry link of an order's failure (its hash only, valid `VALID_HOURS`).
pub async fn issue_token(
    db: &impl tokio_postgres::GenericClient,
    secret: &[u8],
    order_id: &str,
    failed_payment_id: Uuid,
    parent_email: Option<&str>,
) -> Result<(), tokio_postgres::Error> {
    let hash = hash_token(&link_token(secret, failed_payment_id));
    super::store::insert_token(
        db,
        order_id,
        &hash,
        failed_payment_id,
        VALID_HOURS as i32,
        parent_email,
    )
    .await?;
    Ok(())
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
        let link = super::store::retry_link(&**client, &hash_token(&token)).await?;
        let Some(link) = link else {
            return Err(ApiError::NotFound("this payment link is not valid".into()));
        };
        if link.used {
            return Err(ApiError::Gone {
                code: "used",
                message: "this payment link was already used: the payment went through".into(),
            });
        }
        if link.expired {
            return Err(ApiError::Gone {
                code: "expired",
                message: "this payment link has expired; please ask us for a new one".into(),
            });
        }
        Ok(json_response(
            200,
            &json!({
                "order": {
                    "id": link.order_id,
                    "amount": link.amount.unwrap_or(0),
                    "currency": link.currency,
                },
                "prefill": {
                    "name": link.parent_name,
                    "email": link.parent_email,
                    "contact": link.parent_phone,
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
