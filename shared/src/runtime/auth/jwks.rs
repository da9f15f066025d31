//! Supabase's signing keys: the project's JWKS (`${SUPABASE_URL}/auth/v1/.well-known/jwks.json`),
//! fetched on the first request that needs it (never at cold start), kept for a TTL and then
//! fetched again. Each key carries its algorithm — an EC P-256 key verifies ES256 only, an RSA
//! key RS256 only — and nothing else is taken from the set (a symmetric key is ignored).
//!
//! What an outage or a flood costs: a token whose `kid` is unknown fetches the set again at most
//! once per 30 s in this execution environment; a failed fetch is not tried again for 5 s, and
//! while it fails the last good keys keep verifying. With no keys yet and no answer, the caller
//! gets 503 with `Retry-After` (their token may well be fine), never 401.
use crate::runtime::http::ApiError;
use jsonwebtoken::jwk::{AlgorithmParameters, EllipticCurve, JwkSet, KeyAlgorithm};
use jsonwebtoken::{Algorithm, DecodingKey};
use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

/// An unknown `kid` refreshes the set at most this often.
pub const UNKNOWN_KID_REFRESH_EVERY: Duration = Duration::from_secs(30);
/// After a failed fetch, the next one waits this long.
pub const RETRY_FAILED_FETCH_AFTER: Duration = Duration::from_secs(5);
/// The JWKS is small; a larger answer is not a key set.
const MAX_JWKS_BYTES: usize = 256 * 1024;

/// A verifying key and the one algorithm it verifies.
#[derive(Clone)]
pub struct Key {
    pub alg: Algorithm,
    pub decoding: DecodingKey,
}

#[derive(Default)]
struct Snapshot {
    keys: Arc<HashMap<String, Key>>,
    fetched_at: Option<Instant>,
}

#[derive(Default)]
struct Attempts {
    last_fetch: Option<Instant>,
    last_failure: Option<Instant>,
}

pub struct KeySet {
    url: String,
    issuer: String,
    ttl: Duration,
    http: reqwest::Client,
    snapshot: RwLock<Snapshot>,
    /// Held while fetching: one fetch at a time, the others wait and read its result.
    attempts: tokio::sync::Mutex<Attempts>,
}

impl KeySet {
    /// For the project at `supabase_url` (`https://<project>.supabase.co`).
    pub fn new(supabase_url: &str, ttl: Duration) -> anyhow::Result<Self> {
        let base = supabase_url.trim().trim_end_matches('/');
        anyhow::ensure!(
            base.starts_with("https://") || base.starts_with("http://"),
            "SUPABASE_URL must be the project's URL, e.g. https://abcd.supabase.co"
        );
        anyhow::ensure!(
            !ttl.is_zero(),
            "SUPABASE_JWKS_TTL_SECONDS must be at least 1"
        );
        Ok(KeySet {
            url: format!("{base}/auth/v1/.well-known/jwks.json"),
            issuer: format!("{base}/auth/v1"),
            ttl,
            http: crate::clients::tls::http_client_builder()
                .connect_timeout(Duration::from_secs(2))
                .timeout(Duration::from_secs(3))
                .build()?,
            snapshot: RwLock::new(Snapshot::default()),
            attempts: tokio::sync::Mutex::new(Attempts::default()),
        })
    }

    /// The `iss` every token verified with these keys must carry.
    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    fn read(&self) -> (Arc<HashMap<String, Key>>, Option<Instant>) {
        match self.snapshot.read() {
            Ok(s) => (s.keys.clone(), s.fetched_at),
            Err(poisoned) => {
                let s = poisoned.into_inner();
                (s.keys.clone(), s.fetched_at)
            }
        }
    }

    fn fresh(&self, fetched_at: Option<Instant>) -> bool {
        fetched_at.is_some_and(|t| t.elapsed() < self.ttl)
    }

    /// The key named `kid`: from the cache while it is fresh, else after one fetch.
    pub async fn key(&self, kid: &str) -> Result<Key, ApiError> {
        let (keys, fetched_at) = self.read();
        if self.fresh(fetched_at) {
            if let Some(k) = keys.get(kid) {
                return Ok(k.clone());
            }
        }
        {
            let mut attempts = self.attempts.lock().await;
            // Another request may have fetched while this one waited.
            let (keys, fetched_at) = self.read();
            let fresh = self.fresh(fetched_at);
            let known = keys.contains_key(kid);
            let wanted = !fresh
                || (!known
                    && attempts
                        .last_fetch
                        .is_none_or(|t| t.elapsed() >= UNKNOWN_KID_REFRESH_EVERY));
            let may = attempts
                .last_failure
                .is_none_or(|t| t.elapsed() >= RETRY_FAILED_FETCH_AFTER);
            if wanted && may {
                attempts.last_fetch = Some(Instant::now());
                match self.fetch().await {
                    Ok(keys) => {
                        attempts.last_failure = None;
                        let mut s = match self.snapshot.write() {
                            Ok(s) => s,
                            Err(poisoned) => poisoned.into_inner(),
                        };
                        *s = Snapshot {
                            keys: Arc::new(keys),
                            fetched_at: Some(Instant::now()),
                        };
                    }
                    Err(e) => {
                        attempts.last_failure = Some(Instant::now());
                        if fetched_at.is_some() {
                            tracing::warn!(error = %e, "the Supabase signing keys could not be refreshed; the last good keys keep verifying");
                        } else {
                            tracing::warn!(error = %e, "the Supabase signing keys could not be fetched");
                        }
                    }
                }
            }
        }
        let (keys, fetched_at) = self.read();
        match keys.get(kid) {
            Some(k) => Ok(k.clone()),
            None if fetched_at.is_none() => Err(ApiError::Unavailable {
                message: "the signing keys that verify this token cannot be fetched right now"
                    .into(),
                retry_after: RETRY_FAILED_FETCH_AFTER.as_secs() as u32,
            }),
            None => Err(ApiError::Unauthorized(
                "the token is signed with a key this project does not publish".into(),
            )),
        }
    }

    async fn fetch(&self) -> anyhow::Result<HashMap<String, Key>> {
        let response = reqwest::Client::get(&self.http, &self.url).send().await?;
        let status = response.status();
        anyhow::ensure!(
            status.is_success(),
            "the JWKS answered HTTP {}",
            status.as_u16()
        );
        let body = response.bytes().await?;
        anyhow::ensure!(body.len() <= MAX_JWKS_BYTES, "the JWKS is too large");
        let set: JwkSet = serde_json::from_slice(&body)?;
        Ok(keys_of(&set))
    }
}

/// The verifying keys of a set, by `kid`: EC P-256 as ES256, RSA as RS256; a key whose own `alg`
/// says otherwise, a symmetric key or one without a `kid` is left out.
pub fn keys_of(set: &JwkSet) -> HashMap<String, Key> {
    set.keys
        .iter()
        .filter_map(|jwk| {
            let kid = jwk.common.key_id.clone().filter(|k| !k.is_empty())?;
            let alg = match &jwk.algorithm {
                AlgorithmParameters::EllipticCurve(p) if p.curve == EllipticCurve::P256 => {
                    Algorithm::ES256
                }
                AlgorithmParameters::RSA(_) => Algorithm::RS256,
                _ => return None,
            };
            let declared_ok = match jwk.common.key_algorithm {
                None => true,
                Some(KeyAlgorithm::ES256) => alg == Algorithm::ES256,
                Some(KeyAlgorithm::RS256) => alg == Algorithm::RS256,
                Some(_) => false,
            };
            if !declared_ok {
                return None;
            }
            let decoding = DecodingKey::from_jwk(jwk).ok()?;
            Some((kid, Key { alg, decoding }))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_key_verifies_only_its_own_algorithm_and_symmetric_keys_are_ignored(
    ) -> anyhow::Result<()> {
        let set: JwkSet = serde_json::from_value(serde_json::json!({"keys": [
            {"kty": "EC", "crv": "P-256", "kid": "ec1", "alg": "ES256", "use": "sig",
             "x": "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU", "y": "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"},
            {"kty": "EC", "crv": "P-256", "kid": "lying", "alg": "RS256",
             "x": "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU", "y": "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"},
            {"kty": "oct", "kid": "hmac", "k": "c2VjcmV0"},
            {"kty": "EC", "crv": "P-256",
             "x": "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU", "y": "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"}
        ]}))?;
        let keys = keys_of(&set);
        let mut kids: Vec<&String> = keys.keys().collect();
        kids.sort();
        assert_eq!(kids, vec!["ec1"]);
        assert_eq!(keys.get("ec1").map(|k| k.alg), Some(Algorithm::ES256));
        Ok(())
    }

    #[test]
    fn the_url_must_be_the_projects() {
        assert!(KeySet::new("abcd.supabase.co", Duration::from_secs(600)).is_err());
        let ok = KeySet::new("https://abcd.supabase.co/", Duration::from_secs(600));
        assert_eq!(
            ok.map(|k| k.issuer().to_string()).ok().as_deref(),
            Some("https://abcd.supabase.co/auth/v1")
        );
        assert!(KeySet::new("https://abcd.supabase.co", Duration::ZERO).is_err());
    }
}
