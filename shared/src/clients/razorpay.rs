//! Razorpay REST client: refunds (create with `X-Refund-Idempotency`, list a payment's refunds)
//! and order fetch. Basic auth, bounded timeouts; 409, 429 and 5xx are retried with backoff,
//! other 4xx are a definite refusal and are not.
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::{Map, Value};
use std::time::Duration;

/// Razorpay sends empty `notes` as `[]` and an object otherwise; both become a map.
pub fn notes_map<'de, D: Deserializer<'de>>(d: D) -> Result<Map<String, Value>, D::Error> {
    Ok(match Option::<Value>::deserialize(d)? {
        Some(Value::Object(m)) => m,
        _ => Map::new(),
    })
}

/// A note's value as text (`notes` values may be strings or numbers).
pub fn note_str<'a>(notes: &'a Map<String, Value>, key: &str) -> Option<&'a str> {
    notes
        .get(key)
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
}

#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct Refund {
    pub id: String,
    #[serde(default)]
    pub amount: i64,
    #[serde(default)]
    pub payment_id: Option<String>,
    /// Open set: `pending`, `processed`, `failed`, and others seen in the wild.
    #[serde(default)]
    pub status: String,
    #[serde(default, deserialize_with = "notes_map")]
    pub notes: Map<String, Value>,
}

impl Refund {
    pub fn termination_id(&self) -> Option<&str> {
        note_str(&self.notes, "terminationId")
    }
}

#[derive(Debug, Deserialize)]
struct Collection<T> {
    #[serde(default = "Vec::new")]
    items: Vec<T>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct Order {
    pub id: String,
    #[serde(default)]
    pub amount: i64,
    #[serde(default)]
    pub currency: String,
    #[serde(default)]
    pub status: String,
    #[serde(default, deserialize_with = "notes_map")]
    pub notes: Map<String, Value>,
}

#[derive(Debug, Serialize)]
pub struct CreateRefund<'a> {
    pub amount: i64,
    pub notes: &'a Map<String, Value>,
}

#[derive(Debug, Clone, thiserror::Error)]
pub enum GatewayError {
    /// A definite no: nothing was created.
    #[error("Razorpay refused the request ({status}): {description}")]
    Refused {
        status: u16,
        code: String,
        description: String,
    },
    /// The outcome is unknown (timeout, 5xx, still in flight): it may or may not have happened.
    #[error("Razorpay did not give a definite answer: {0}")]
    Unknown(String),
}

pub struct RazorpayClient {
    http: reqwest::Client,
    base: String,
    key_id: String,
    key_secret: SecretString,
    attempts: u32,
    backoff: Duration,
}

impl RazorpayClient {
    pub fn new(
        base: &str,
        key_id: &str,
        key_secret: SecretString,
        timeout: Duration,
    ) -> anyhow::Result<Self> {
        let http = crate::clients::tls::http_client_builder()
            .connect_timeout(Duration::from_secs(3).min(timeout))
            .timeout(timeout)
            .build()?;
        Ok(RazorpayClient {
            http,
            base: base.trim_end_matches('/').to_string(),
            key_id: key_id.to_string(),
            key_secret,
            attempts: 3,
            backoff: Duration::from_millis(200),
        })
    }

    pub fn key_id(&self) -> &str {
        &self.key_id
    }

    pub fn with_retries(mut self, attempts: u32, backoff: Duration) -> Self {
        self.attempts = attempts.max(1);
        self.backoff = backoff;
        self
    }

    fn url(&self, segments: &[&str]) -> Result<reqwest::Url, GatewayError> {
        let mut url = reqwest::Url::parse(&self.base)
            .map_err(|_| GatewayError::Unknown("RAZORPAY_API_BASE is not a URL".into()))?;
        url.path_segments_mut()
            .map_err(|_| GatewayError::Unknown("RAZORPAY_API_BASE cannot take a path".into()))?
            .pop_if_empty()
            .extend(segments);
        Ok(url)
    }

    async fn send<T: for<'de> Deserialize<'de>>(
        &self,
        make: impl Fn() -> reqwest::RequestBuilder,
        what: &str,
    ) -> Result<T, GatewayError> {
        self.send_n(make, what, self.attempts).await
    }

    async fn send_n<T: for<'de> Deserialize<'de>>(
        &self,
        make: impl Fn() -> reqwest::RequestBuilder,
        what: &str,
        attempts: u32,
    ) -> Result<T, GatewayError> {
        let mut last = String::new();
        for attempt in 0..attempts {
            if attempt > 0 {
                tokio::time::sleep(self.backoff * 2u32.pow(attempt - 1)).await;
            }
            let resp = make()
                .basic_auth(&self.key_id, Some(self.key_secret.expose_secret()))
                .send()
                .await;
            let resp = match resp {
                Ok(r) => r,
                Err(e) => {
                    last = if e.is_timeout() {
                        "timed out".into()
                    } else {
                        "connection failed".into()
                    };
                    tracing::warn!(attempt, what, error = %last, "razorpay call failed");
                    continue;
                }
            };
            let status = resp.status().as_u16();
            let body = resp.bytes().await.unwrap_or_default();
            if (200..300).contains(&status) {
                return serde_json::from_slice(&body).map_err(|_| {
                    GatewayError::Unknown(format!("unreadable {what} response from Razorpay"))
                });
            }
            if status == 409 || status == 429 || status >= 500 {
                last = format!("HTTP {status}");
                tracing::warn!(
                    attempt,
                    what,
                    status,
                    "razorpay answered with a retryable status"
                );
                continue;
            }
            let (code, description) = error_fields(&body);
            if !last.is_empty() {
                // An earlier attempt timed out or got a 409/429/5xx: it may have done the work,
                // and this 4xx can be Razorpay refusing the repeat (e.g. "fully refunded
                // already"). Only the first answer can be a definite no.
                tracing::warn!(what, status, code = %code, earlier = %last, "razorpay refused after an unclear attempt");
                return Err(GatewayError::Unknown(format!(
                    "HTTP {status} after an earlier attempt {last}"
                )));
            }
            tracing::info!(what, status, code = %code, "razorpay refused");
            return Err(GatewayError::Refused {
                status,
                code,
                description,
            });
        }
        Err(GatewayError::Unknown(last))
    }

    /// `POST /v1/payments/{id}/refund`. The idempotency key makes a retry return the same refund.
    pub async fn create_refund(
        &self,
        payment_id: &str,
        body: &CreateRefund<'_>,
        idempotency_key: &str,
    ) -> Result<Refund, GatewayError> {
        let url = self.url(&["v1", "payments", payment_id, "refund"])?;
        self.send(
            || {
                self.http
                    .post(url.clone())
                    .header("X-Refund-Idempotency", idempotency_key)
                    .json(body)
            },
            "create refund",
        )
        .await
    }

    /// `GET /v1/payments/{id}/refunds` (up to 100, newest first).
    pub async fn list_refunds(&self, payment_id: &str) -> Result<Vec<Refund>, GatewayError> {
        let url = self.url(&["v1", "payments", payment_id, "refunds"])?;
        let c: Collection<Refund> = self
            .send(
                || self.http.get(url.clone()).query(&[("count", "100")]),
                "list refunds",
            )
            .await?;
        Ok(c.items)
    }

    /// `GET /v1/orders/{id}` once, within 2 s: for a webhook that must answer within 5 s.
    pub async fn fetch_order_quick(&self, order_id: &str) -> Result<Order, GatewayError> {
        let url = self.url(&["v1", "orders", order_id])?;
        self.send_n(
            || self.http.get(url.clone()).timeout(Duration::from_secs(2)),
            "fetch order",
            1,
        )
        .await
    }
}

fn error_fields(body: &[u8]) -> (String, String) {
    let v: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
    let err = &v["error"];
    let code = err["code"].as_str().unwrap_or("UNKNOWN").to_string();
    let description = err["description"]
        .as_str()
        .unwrap_or("no description")
        .chars()
        .take(500)
        .collect();
    (code, description)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_notes_arrive_as_array_and_become_an_empty_map() -> serde_json::Result<()> {
        let r: Refund = serde_json::from_str(
            r#"{"id":"rfnd_1","amount":100,"status":"processed","notes":[]}"#,
        )?;
        assert!(r.notes.is_empty());
        let r: Refund = serde_json::from_str(
            r#"{"id":"rfnd_1","amount":100,"status":"processed","notes":{"terminationId":"abc"}}"#,
        )?;
        assert_eq!(r.termination_id(), Some("abc"));
        let r: Refund = serde_json::from_str(r#"{"id":"rfnd_1","notes":null}"#)?;
        assert!(r.notes.is_empty());
        Ok(())
    }

    #[test]
    fn error_body_fields_are_read() {
        let (code, desc) = error_fields(
            br#"{"error":{"code":"BAD_REQUEST_ERROR","description":"The payment has been fully refunded already."}}"#,
        );
        assert_eq!(code, "BAD_REQUEST_ERROR");
        assert!(desc.contains("fully refunded"));
        assert_eq!(error_fields(b"<html>").0, "UNKNOWN");
    }
}

// Webhook payloads: what Razorpay posts to `POST /webhooks/razorpay` (the fields we read).

/// One webhook delivery: its event name, when Razorpay made it, and the entities it carries.
#[derive(Debug, Deserialize)]
pub struct WebhookEvent {
    #[serde(default)]
    pub event: String,
    /// When Razorpay created the event (for `payment.captured`, the capture), epoch seconds.
    #[serde(default)]
    pub created_at: Option<i64>,
    #[serde(default)]
    pub payload: Payload,
}

#[derive(Debug, Default, Deserialize)]
pub struct Payload {
    pub payment: Option<Wrapped<PaymentEntity>>,
    pub refund: Option<Wrapped<RefundEntity>>,
    pub order: Option<Wrapped<OrderEntity>>,
}

#[derive(Debug, Deserialize)]
pub struct Wrapped<T> {
    pub entity: T,
}

#[derive(Debug, Deserialize)]
pub struct PaymentEntity {
    pub id: String,
    #[serde(default)]
    pub order_id: Option<String>,
    #[serde(default)]
    pub amount: Option<i64>,
    #[serde(default)]
    pub currency: Option<String>,
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub contact: Option<String>,
    #[serde(default, deserialize_with = "notes_map")]
    pub notes: Map<String, Value>,
    #[serde(default)]
    pub error_code: Option<String>,
    #[serde(default)]
    pub error_description: Option<String>,
    #[serde(default)]
    pub error_reason: Option<String>,
    #[serde(default)]
    pub created_at: Option<i64>,
}

#[derive(Debug, Deserialize)]
pub struct RefundEntity {
    pub id: String,
    #[serde(default)]
    pub payment_id: Option<String>,
    #[serde(default)]
    pub status: Option<String>,
    #[serde(default, deserialize_with = "notes_map")]
    pub notes: Map<String, Value>,
    #[serde(default)]
    pub error_description: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct OrderEntity {
    pub id: String,
}

/// Razorpay sends absent values as `null` or `""`; both mean nothing.
pub fn present(v: &Option<String>) -> Option<&str> {
    v.as_deref().map(str::trim).filter(|s| !s.is_empty())
}
