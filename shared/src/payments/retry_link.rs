//! Retry links: 32 random bytes, URL-safe base64 in the link, only their SHA-256 in the
//! database; valid 24 hours; spent when the order is paid. A failed payment's link is derived
//! from its id under `RETRY_LINK_SECRET`, so it is never stored and a resend is the same link.
use base64::Engine;
use rand::RngCore;
use sha2::{Digest, Sha256};
use uuid::Uuid;

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
