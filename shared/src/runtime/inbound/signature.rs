//! Webhook signatures as Razorpay and Cal.com both make them: lowercase hex HMAC-SHA256 of the
//! raw body bytes, keyed with the webhook secret. Compared in constant time; bytes, never
//! re-serialised JSON.
use crate::runtime::http::{body_bytes, header, ApiError};
use hmac::{Hmac, KeyInit, Mac};
use lambda_http::Request;
use secrecy::{ExposeSecret, SecretString};
use sha2::Sha256;

/// The body of a signed webhook, checked in this order: the secret (`secret_var`) is configured (503), the
/// body is at most `limit` bytes (413), the signature header `signature_header` is there and
/// matches the exact bytes (401). Nothing is parsed before that.
pub fn verified_body<'r>(
    secret: Option<&SecretString>,
    req: &'r Request,
    secret_var: &'static str,
    signature_header: &str,
    limit: usize,
) -> Result<&'r [u8], ApiError> {
    let secret = secret
        .map(ExposeSecret::expose_secret)
        .ok_or_else(|| ApiError::missing_config(&[secret_var]))?;
    let body = body_bytes(req, limit)?;
    let sig = header(req, &signature_header.to_ascii_lowercase())
        .ok_or_else(|| ApiError::Unauthorized(format!("{signature_header} is missing")))?;
    if !verify(secret.as_bytes(), body, sig) {
        return Err(ApiError::Unauthorized(format!(
            "{signature_header} does not match the body"
        )));
    }
    Ok(body)
}

pub fn sign(secret: &[u8], body: &[u8]) -> String {
    match Hmac::<Sha256>::new_from_slice(secret) {
        Ok(mut mac) => {
            mac.update(body);
            hex::encode(mac.finalize().into_bytes())
        }
        Err(_) => String::new(),
    }
}

pub fn verify(secret: &[u8], body: &[u8], signature_hex: &str) -> bool {
    let Ok(expected) = hex::decode(signature_hex.trim()) else {
        return false;
    };
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret) else {
        return false;
    };
    mac.update(body);
    mac.verify_slice(&expected).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// W2/W3 fixture from the official SDKs: 971 bytes, ending with one newline.
    const FIXTURE: &str = r#"{
  "event": "payment.authorized",
  "entity": "event",
  "contains": [
    "payment"
  ],
  "payload": {
    "payment": {
      "entity": {
        "id": "pay_6koWN7bvxujzxM",
        "entity": "payment",
        "amount": 1000000,
        "currency": "INR",
        "status": "captured",
        "order_id": "order_100000000order",
        "international": false,
        "method": "card",
        "amount_refunded": 0,
        "refund_status": null,
        "captured": true,
        "description": "random description",
        "card_id": "card_6koWNAT6LASUqy",
        "bank": null,
        "wallet": null,
        "vpa": null,
        "email": "a@b.com",
        "contact": "+919999999999",
        "notes": {
          "merchant_order_id": "random order id"
        },
        "fee": 23000,
        "service_tax": 3000,
        "error_code": null,
        "error_description": null,
        "created_at": 1479978483
      }
    }
  },
  "created_at": 1400826760
}
"#;

    const W4: &str = r##"{"entity":"event","account_id":"acc_HVFD0PFnHPAzKj","event":"payment.authorized","contains":["payment"],"payload":{"payment":{"entity":{"id":"pay_JUEM4c0pSLpFEW","entity":"payment","amount":12300,"currency":"INR","status":"authorized","order_id":"order_JUELuT6cFaHkvd","invoice_id":null,"international":false,"method":"netbanking","amount_refunded":0,"refund_status":null,"captured":false,"description":"#JUELZ1z1EC0pwi","card_id":null,"bank":"SBIN","wallet":null,"vpa":null,"email":"prathmesh.bijjargi@razorpay.com","contact":"+917411714931","notes":[],"fee":null,"tax":null,"error_code":null,"error_description":null,"error_source":null,"error_step":null,"error_reason":null,"acquirer_data":{"bank_transaction_id":"6416615"},"created_at":1652339804}}},"created_at":1652339806}"##;

    #[test]
    fn official_sdk_vectors_verify() {
        assert!(verify(
            b"123456",
            br#"{"a":1,"b":2,"c":{"d":3}}"#,
            "2fe04e22977002e6c7cb553adab8b460cb9e2a4970d5953cb27a8472752e3bbc"
        ));
        assert_eq!(FIXTURE.len(), 971);
        assert!(verify(
            b"key_secret",
            FIXTURE.as_bytes(),
            "d60e67fd884556c045e9be7dad57903e33efc7172c17c6e3ef77db42d2b366e9"
        ));
        assert!(verify(
            b"chosen_webhook_secret",
            FIXTURE.as_bytes(),
            "dda9ca344c56ccbd90167b1be0fd99dfa92fe2b827020f27e2a46024e31c7c99"
        ));
        assert_eq!(W4.len(), 778);
        assert!(verify(
            b"123456",
            W4.as_bytes(),
            "ea962f3a2a8090aa14ef10fc178306edcb46ee7ccadae8afe2275cda26f3d2a6"
        ));
    }

    #[test]
    fn the_trailing_newline_is_part_of_what_is_signed() {
        let trimmed = FIXTURE.trim_end_matches('\n');
        assert!(!verify(
            b"key_secret",
            trimmed.as_bytes(),
            "d60e67fd884556c045e9be7dad57903e33efc7172c17c6e3ef77db42d2b366e9"
        ));
        assert_eq!(
            sign(b"key_secret", trimmed.as_bytes()),
            "0971cde1d9216765d9aa72c766aef4a913fedfd2d36cc05cbca5de1ef90c12e4"
        );
    }

    #[test]
    fn one_flipped_byte_or_a_reserialised_body_fails() -> serde_json::Result<()> {
        let mut bytes = W4.as_bytes().to_vec();
        bytes[100] ^= 0x01;
        assert!(!verify(
            b"123456",
            &bytes,
            "ea962f3a2a8090aa14ef10fc178306edcb46ee7ccadae8afe2275cda26f3d2a6"
        ));
        // Same values, other bytes: a JSON parser's output is not what Razorpay signed.
        let reserialised =
            serde_json::to_string_pretty(&serde_json::from_str::<serde_json::Value>(W4)?)?;
        assert!(!verify(
            b"123456",
            reserialised.as_bytes(),
            "ea962f3a2a8090aa14ef10fc178306edcb46ee7ccadae8afe2275cda26f3d2a6"
        ));
        Ok(())
    }

    #[test]
    fn malformed_signatures_fail() {
        let body = b"test body";
        let good = sign(b"test_secret", body);
        assert!(verify(b"test_secret", body, &good));
        assert!(!verify(b"test_secret", body, ""));
        assert!(!verify(b"test_secret", body, "zz"));
        assert!(!verify(b"test_secret", body, &good[..62]));
        assert!(!verify(b"wrong_secret", body, &good));
    }
}
