//! Google Calendar API v3 as a service account: an OAuth 2.0 JWT bearer grant (RS256, signed
//! with `jsonwebtoken`) for an access token, kept until shortly before it expires, then
//! `events.patch` to move an event. `GOOGLE_SERVICE_ACCOUNT_KEY` is the key JSON itself (its
//! `client_email`, `private_key` and `token_uri`); the key is never logged.
use chrono::{DateTime, Utc};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde::Deserialize;
use serde_json::json;
use std::time::{Duration, Instant};
use tokio::sync::Mutex;

pub const DEFAULT_API_BASE: &str = "https://www.googleapis.com/calendar/v3";
pub const DEFAULT_TOKEN_URI: &str = "https://oauth2.googleapis.com/token";
pub const SCOPE: &str = "https://www.googleapis.com/auth/calendar";
const TIMEOUT: Duration = Duration::from_secs(10);

#[derive(Deserialize)]
struct KeyFile {
    client_email: String,
    private_key: String,
    #[serde(default)]
    token_uri: Option<String>,
}

/// Why a move did not happen.
#[derive(Debug, thiserror::Error)]
pub enum CalendarError {
    /// The event is gone (404, 410): nothing to move, not worth a retry.
    #[error("the calendar event is gone ({0})")]
    Gone(u16),
    /// Google refused the request for good (another 4xx).
    #[error("google refused the request: {0}")]
    Refused(String),
    /// Worth another try later: 5xx, 429, timeouts, a token that did not come.
    #[error("temporary calendar failure: {0}")]
    Retry(String),
}

pub struct GoogleCalendar {
    http: reqwest::Client,
    client_email: String,
    key: EncodingKey,
    token_uri: String,
    api_base: String,
    calendar_id: String,
    token: Mutex<Option<(String, Instant)>>,
}

impl std::fmt::Debug for GoogleCalendar {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GoogleCalendar")
            .field("client_email", &self.client_email)
            .field("calendar_id", &self.calendar_id)
            .finish_non_exhaustive()
    }
}

/// A path segment, percent-encoded (calendar ids are often email addresses).
fn segment(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

impl GoogleCalendar {
    pub fn new(key_json: &str, api_base: &str, calendar_id: &str) -> anyhow::Result<Self> {
        let key: KeyFile = serde_json::from_str(key_json).map_err(|_| {
            anyhow::anyhow!("GOOGLE_SERVICE_ACCOUNT_KEY is not a service account key JSON")
        })?;
        let encoding = EncodingKey::from_rsa_pem(key.private_key.as_bytes()).map_err(|_| {
            anyhow::anyhow!("GOOGLE_SERVICE_ACCOUNT_KEY has no usable RSA private_key")
        })?;
        Ok(GoogleCalendar {
            http: crate::clients::tls::http_client_builder()
                .timeout(TIMEOUT)
                .build()?,
            client_email: key.client_email,
            key: encoding,
            token_uri: key
                .token_uri
                .unwrap_or_else(|| DEFAULT_TOKEN_URI.to_string()),
            api_base: api_base.trim_end_matches('/').to_string(),
            calendar_id: calendar_id.to_string(),
            token: Mutex::new(None),
        })
    }

    async fn access_token(&self, fresh: bool) -> Result<String, CalendarError> {
        let mut cached = self.token.lock().await;
        if let Some((token, until)) = cached.as_ref() {
            if !fresh && Instant::now() < *until {
                return Ok(token.clone());
            }
        }
        let now = Utc::now().timestamp();
        let claims = json!({
            "iss": self.client_email, "scope": SCOPE, "aud": self.token_uri,
            "iat": now, "exp": now + 3600,
        });
        let assertion = jsonwebtoken::encode(&Header::new(Algorithm::RS256), &claims, &self.key)
            .map_err(|e| CalendarError::Refused(format!("cannot sign the token request: {e}")))?;
        // The assertion is base64url and dots: nothing in it needs escaping.
        let body = format!(
            "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer&assertion={assertion}"
        );
        let resp = self
            .http
            .post(&self.token_uri)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await
            .map_err(|e| CalendarError::Retry(format!("token request: {}", e.without_url())))?;
        let status = resp.status().as_u16();
        if status >= 500 || status == 429 {
            return Err(CalendarError::Retry(format!(
                "token endpoint answered {status}"
            )));
        }
        if status != 200 {
            return Err(CalendarError::Refused(format!(
                "token endpoint answered {status}"
            )));
        }
        #[derive(Deserialize)]
        struct Token {
            access_token: String,
            #[serde(default)]
            expires_in: Option<u64>,
        }
        let t: Token = resp
            .json()
            .await
            .map_err(|_| CalendarError::Retry("unreadable token answer".into()))?;
        let life = Duration::from_secs(t.expires_in.unwrap_or(3600).saturating_sub(60).max(30));
        *cached = Some((t.access_token.clone(), Instant::now() + life));
        Ok(t.access_token)
    }

    /// Moves an event to `[start, end)`, written in `zone` (the coach's).
    pub async fn move_event(
        &self,
        event_id: &str,
        start: DateTime<Utc>,
        end: DateTime<Utc>,
        zone: &str,
    ) -> Result<(), CalendarError> {
        let url = format!(
            "{}/calendars/{}/events/{}",
            self.api_base,
            segment(&self.calendar_id),
            segment(event_id)
        );
        let body = json!({
            "start": {"dateTime": start.to_rfc3339(), "timeZone": zone},
            "end": {"dateTime": end.to_rfc3339(), "timeZone": zone},
        });
        for attempt in 0..2 {
            let token = self.access_token(attempt > 0).await?;
            let resp = self
                .http
                .patch(&url)
                .bearer_auth(&token)
                .json(&body)
                .send()
                .await
                .map_err(|e| CalendarError::Retry(format!("events.patch: {}", e.without_url())))?;
            let status = resp.status().as_u16();
            match status {
                200..=299 => return Ok(()),
                // A token revoked or expired early: one fresh token, then give up for now.
                401 if attempt == 0 => continue,
                404 | 410 => return Err(CalendarError::Gone(status)),
                401 | 429 | 500..=599 => {
                    return Err(CalendarError::Retry(format!(
                        "events.patch answered {status}"
                    )))
                }
                _ => {
                    return Err(CalendarError::Refused(format!(
                        "events.patch answered {status}"
                    )))
                }
            }
        }
        Err(CalendarError::Retry(
            "events.patch kept answering 401".into(),
        ))
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn path_segments_are_escaped() {
        assert_eq!(super::segment("coach@yestoryd.com"), "coach%40yestoryd.com");
        assert_eq!(super::segment("abc_123-x.y~"), "abc_123-x.y~");
        assert_eq!(super::segment("a/b c"), "a%2Fb%20c");
    }
}
