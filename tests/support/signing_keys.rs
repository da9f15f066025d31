//! Supabase's asymmetric signing keys for tests: ES256 and RS256 keys made in the test, tokens
//! signed with them, and a JWKS double that publishes what the test says, can go down, and counts
//! its fetches.
#![allow(dead_code)]
use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::rsa::KeySize;
use aws_lc_rs::signature::{EcdsaKeyPair, KeyPair, ECDSA_P256_SHA256_FIXED_SIGNING};
use base64::Engine;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{json, Value};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

type E = Box<dyn std::error::Error + Send + Sync>;

pub fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

fn pem(der: &[u8]) -> String {
    let body = base64::engine::general_purpose::STANDARD.encode(der);
    format!("-----BEGIN PRIVATE KEY-----\n{body}\n-----END PRIVATE KEY-----\n")
}

/// A signing key made for the test: what signs tokens, and its public JWK.
pub struct TestKey {
    pub kid: String,
    pub alg: Algorithm,
    pub signing: EncodingKey,
    pub jwk: Value,
}

pub fn es256(kid: &str) -> Result<TestKey, E> {
    let pkcs8 = EcdsaKeyPair::generate(&ECDSA_P256_SHA256_FIXED_SIGNING)
        .map_err(|_| "keygen")?
        .to_pkcs8v1()
        .map_err(|_| "pkcs8")?;
    let pair = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8.as_ref())
        .map_err(|_| "parse")?;
    let point = pair.public_key().as_ref().to_vec();
    Ok(TestKey {
        kid: kid.into(),
        alg: Algorithm::ES256,
        signing: EncodingKey::from_ec_pem(pem(pkcs8.as_ref()).as_bytes())?,
        jwk: json!({"kty": "EC", "crv": "P-256", "kid": kid, "alg": "ES256", "use": "sig",
                    "x": b64(&point[1..33]), "y": b64(&point[33..65])}),
    })
}

pub fn rs256(kid: &str) -> Result<TestKey, E> {
    let pair = aws_lc_rs::rsa::KeyPair::generate(KeySize::Rsa2048).map_err(|_| "keygen")?;
    let der = AsDer::<aws_lc_rs::encoding::Pkcs8V1Der>::as_der(&pair).map_err(|_| "der")?;
    let public = pair.public_key();
    Ok(TestKey {
        kid: kid.into(),
        alg: Algorithm::RS256,
        signing: EncodingKey::from_rsa_pem(pem(der.as_ref()).as_bytes())?,
        jwk: json!({"kty": "RSA", "kid": kid, "alg": "RS256", "use": "sig",
                    "n": b64(public.modulus().big_endian_without_leading_zero()),
                    "e": b64(public.exponent().big_endian_without_leading_zero())}),
    })
}

/// The claims Supabase puts in an access token, for `iss`.
pub fn claims(iss: &str, sub: &str, admin: bool) -> Value {
    let now = chrono::Utc::now().timestamp();
    let mut c = json!({"sub": sub, "aud": "authenticated", "role": "authenticated",
                       "iss": iss, "iat": now, "exp": now + 600});
    if admin {
        c["app_metadata"] = json!({"role": "admin"});
    }
    c
}

pub fn sign(key: &TestKey, kid: Option<&str>, claims: &Value) -> Result<String, E> {
    let mut header = Header::new(key.alg);
    header.kid = kid.map(str::to_string);
    Ok(jsonwebtoken::encode(&header, claims, &key.signing)?)
}

/// The project's JWKS: what it publishes now, whether it answers, how often it was asked.
#[derive(Clone, Default)]
pub struct Jwks {
    keys: Arc<Mutex<Vec<Value>>>,
    down: Arc<Mutex<bool>>,
    fetches: Arc<AtomicUsize>,
}

impl Respond for Jwks {
    fn respond(&self, _: &Request) -> ResponseTemplate {
        self.fetches.fetch_add(1, Ordering::SeqCst);
        if self.down.lock().map(|d| *d).unwrap_or(true) {
            return ResponseTemplate::new(503);
        }
        let keys = self.keys.lock().map(|k| k.clone()).unwrap_or_default();
        ResponseTemplate::new(200).set_body_json(json!({ "keys": keys }))
    }
}

impl Jwks {
    pub fn publish(&self, keys: &[&TestKey]) {
        if let Ok(mut k) = self.keys.lock() {
            *k = keys.iter().map(|k| k.jwk.clone()).collect();
        }
    }
    pub fn set_down(&self, down: bool) {
        if let Ok(mut d) = self.down.lock() {
            *d = down;
        }
    }
    pub fn fetched(&self) -> usize {
        self.fetches.load(Ordering::SeqCst)
    }
}

/// A JWKS double at `/auth/v1/.well-known/jwks.json`, as a Supabase project serves it; the
/// project's URL is the server's.
pub async fn jwks_double() -> (MockServer, Jwks) {
    let server = MockServer::start().await;
    let jwks = Jwks::default();
    Mock::given(wiremock::matchers::method("GET"))
        .and(wiremock::matchers::path("/auth/v1/.well-known/jwks.json"))
        .respond_with(jwks.clone())
        .mount(&server)
        .await;
    (server, jwks)
}
