//! Supabase JWT auth: ES256/RS256 tokens verified with the project's signing keys
//! (`SUPABASE_URL`'s JWKS, `jwks.rs`; `iss` must be the project's), and HS256 tokens with the
//! legacy secret only while `SUPABASE_JWT_SECRET` is set. Always: `exp` required and checked,
//! `aud` = `authenticated`. The algorithm comes from the key, never from the token. Admins carry
//! `app_metadata.role = "admin"`; parents are found by `sub`. Tokens are never logged.
pub mod jwks;
pub mod store;

use crate::runtime::http::{header, ApiError};
use jsonwebtoken::{decode, decode_header, Algorithm, DecodingKey, Validation};
use lambda_http::Request;
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use tokio_postgres::GenericClient;
use uuid::Uuid;

#[derive(Debug, Deserialize)]
struct AppMetadata {
    role: Option<String>,
}

#[derive(Debug, Deserialize)]
struct Claims {
    sub: String,
    email: Option<String>,
    app_metadata: Option<AppMetadata>,
}

/// A verified caller, before any role check.
#[derive(Debug, Clone)]
pub struct Caller {
    pub user_id: String,
    pub email: Option<String>,
    pub is_admin: bool,
}

#[derive(Debug, Clone)]
pub struct Admin {
    pub user_id: String,
    pub email: Option<String>,
}

impl Admin {
    /// Who to record as the actor: the email when the token has one, else the user id.
    pub fn actor(&self) -> String {
        self.email.clone().unwrap_or_else(|| self.user_id.clone())
    }
}

#[derive(Debug, Clone)]
pub struct Parent {
    pub user_id: String,
    pub parent_id: Uuid,
}

pub struct JwtVerifier {
    /// The legacy HS256 secret, while it is configured (the migration window).
    secret: Option<SecretString>,
    /// `SUPABASE_JWT_ISSUER`: the `iss` an HS256 token must carry, when set.
    issuer: Option<String>,
    /// The project's signing keys, when `SUPABASE_URL` is set.
    keys: Option<jwks::KeySet>,
}

/// Why a token failed, in the contract's words (never the token).
fn refusal(e: jsonwebtoken::errors::Error) -> ApiError {
    use jsonwebtoken::errors::ErrorKind;
    let why = match e.kind() {
        ErrorKind::ExpiredSignature => "the token has expired",
        ErrorKind::InvalidAudience => "the token is not for this audience",
        ErrorKind::InvalidIssuer => "the token is not from this project",
        ErrorKind::InvalidSignature => "the token signature is invalid",
        _ => "the token is invalid",
    };
    ApiError::Unauthorized(why.to_string())
}

fn invalid() -> ApiError {
    ApiError::Unauthorized("the token is invalid".to_string())
}

/// Checks `token` with `key` for `alg`: the signature, `exp` (30 s leeway), `aud`, and `iss`
/// when one is given.
fn claims_of(
    token: &str,
    key: &DecodingKey,
    alg: Algorithm,
    issuer: Option<&str>,
) -> Result<Claims, ApiError> {
    let mut validation = Validation::new(alg);
    validation.set_audience(&["authenticated"]);
    // jsonwebtoken checks `aud` only when present unless it is a required claim.
    if let Some(iss) = issuer {
        validation.set_issuer(&[iss]);
        validation.set_required_spec_claims(&["exp", "aud", "iss"]);
    } else {
        validation.set_required_spec_claims(&["exp", "aud"]);
    }
    validation.leeway = 30;
    decode::<Claims>(token, key, &validation)
        .map(|d| d.claims)
        .map_err(refusal)
}

impl JwtVerifier {
    /// `secret`: the legacy HS256 secret, if still set; `issuer` (`SUPABASE_JWT_ISSUER`): when
    /// set, an HS256 token's `iss` must equal it; `keys`: the project's signing keys.
    pub fn new(
        secret: Option<SecretString>,
        issuer: Option<String>,
        keys: Option<jwks::KeySet>,
    ) -> Self {
        JwtVerifier {
            secret,
            issuer,
            keys,
        }
    }

    /// The legacy set-up: HS256 with a shared secret only.
    pub fn with_secret(secret: SecretString, issuer: Option<String>) -> Self {
        Self::new(Some(secret), issuer, None)
    }

    pub async fn verify(&self, token: &str) -> Result<Caller, ApiError> {
        // `alg: none` and unknown algorithms fail here.
        let header = decode_header(token).map_err(|_| invalid())?;
        let claims = match header.alg {
            Algorithm::HS256 => {
                let Some(secret) = &self.secret else {
                    return Err(ApiError::Unauthorized(
                        "HS256 tokens are not accepted: this project verifies its signing keys"
                            .into(),
                    ));
                };
                let key = DecodingKey::from_secret(secret.expose_secret().as_bytes());
                claims_of(token, &key, Algorithm::HS256, self.issuer.as_deref())?
            }
            alg => {
                let (Some(keys), Some(kid)) = (&self.keys, header.kid.as_deref()) else {
                    return Err(invalid());
                };
                let key = keys.key(kid).await?;
                // The key decides the algorithm: a token that claims another is refused.
                if key.alg != alg {
                    return Err(invalid());
                }
                claims_of(token, &key.decoding, key.alg, Some(keys.issuer()))?
            }
        };
        let is_admin =
            claims.app_metadata.as_ref().and_then(|m| m.role.as_deref()) == Some("admin");
        Ok(Caller {
            user_id: claims.sub,
            email: claims.email,
            is_admin,
        })
    }

    pub async fn caller(&self, req: &Request) -> Result<Caller, ApiError> {
        let value = header(req, "authorization").ok_or_else(|| {
            ApiError::Unauthorized("an Authorization: Bearer token is required".into())
        })?;
        let token = value
            .strip_prefix("Bearer ")
            .or_else(|| value.strip_prefix("bearer "))
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .ok_or_else(|| {
                ApiError::Unauthorized("an Authorization: Bearer token is required".into())
            })?;
        self.verify(token).await
    }

    pub async fn require_admin(&self, req: &Request) -> Result<Admin, ApiError> {
        let caller = self.caller(req).await?;
        if !caller.is_admin {
            return Err(ApiError::Forbidden("this route is for admins only".into()));
        }
        Ok(Admin {
            user_id: caller.user_id,
            email: caller.email,
        })
    }

    /// The parent behind an already verified caller (`caller` first: a bad token is a 401
    /// before a database connection is taken, and the token is decoded once).
    pub async fn require_parent(
        &self,
        db: &impl GenericClient,
        caller: Caller,
    ) -> Result<Parent, ApiError> {
        let user_id = Uuid::parse_str(&caller.user_id)
            .map_err(|_| ApiError::Forbidden("this route is for parents only".into()))?;
        match store::id_for_user(db, user_id).await? {
            Some(parent_id) => Ok(Parent {
                user_id: caller.user_id,
                parent_id,
            }),
            None => Err(ApiError::Forbidden("this route is for parents only".into())),
        }
    }
}

/// Signs a token the way Supabase does. Used by local-api's printed demo tokens and by tests.
pub fn sign_token(
    secret: &str,
    sub: &str,
    email: Option<&str>,
    role: Option<&str>,
    expires_in_secs: i64,
) -> Result<String, jsonwebtoken::errors::Error> {
    let exp = chrono::Utc::now().timestamp() + expires_in_secs;
    let mut claims = serde_json::json!({
        "sub": sub,
        "aud": "authenticated",
        "role": "authenticated",
        "exp": exp,
        "iat": chrono::Utc::now().timestamp(),
    });
    if let Some(e) = email {
        claims["email"] = serde_json::Value::String(e.to_string());
    }
    if let Some(r) = role {
        claims["app_metadata"] = serde_json::json!({ "role": r });
    }
    jsonwebtoken::encode(
        &jsonwebtoken::Header::new(Algorithm::HS256),
        &claims,
        &jsonwebtoken::EncodingKey::from_secret(secret.as_bytes()),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn verifier() -> JwtVerifier {
        JwtVerifier::with_secret(
            SecretString::from("test-secret-at-least-32-bytes-long!!"),
            None,
        )
    }

    #[tokio::test]
    async fn admin_role_is_read_from_app_metadata() -> Result<(), Box<dyn std::error::Error>> {
        let t = sign_token(
            "test-secret-at-least-32-bytes-long!!",
            "u1",
            None,
            Some("admin"),
            60,
        )?;
        assert!(
            verifier()
                .verify(&t)
                .await
                .map_err(|e| e.to_string())?
                .is_admin
        );
        let t = sign_token("test-secret-at-least-32-bytes-long!!", "u1", None, None, 60)?;
        assert!(
            !verifier()
                .verify(&t)
                .await
                .map_err(|e| e.to_string())?
                .is_admin
        );
        Ok(())
    }

    #[tokio::test]
    async fn expired_and_forged_tokens_are_refused() -> Result<(), Box<dyn std::error::Error>> {
        let expired = sign_token(
            "test-secret-at-least-32-bytes-long!!",
            "u1",
            None,
            Some("admin"),
            -3600,
        )?;
        assert_eq!(
            verifier().verify(&expired).await.err().map(|e| e.status()),
            Some(401)
        );
        let forged = sign_token(
            "another-secret-another-secret-xx",
            "u1",
            None,
            Some("admin"),
            60,
        )?;
        assert_eq!(
            verifier().verify(&forged).await.err().map(|e| e.status()),
            Some(401)
        );
        assert_eq!(
            verifier()
                .verify("not.a.jwt")
                .await
                .err()
                .map(|e| e.status()),
            Some(401)
        );
        Ok(())
    }

    fn signed(claims: serde_json::Value) -> Result<String, jsonwebtoken::errors::Error> {
        jsonwebtoken::encode(
            &jsonwebtoken::Header::new(Algorithm::HS256),
            &claims,
            &jsonwebtoken::EncodingKey::from_secret(b"test-secret-at-least-32-bytes-long!!"),
        )
    }

    #[tokio::test]
    async fn a_token_without_aud_is_refused_even_as_admin() -> Result<(), Box<dyn std::error::Error>>
    {
        let exp = chrono::Utc::now().timestamp() + 600;
        let no_aud = signed(serde_json::json!({
            "sub": "u1", "exp": exp, "app_metadata": {"role": "admin"}
        }))?;
        assert!(verifier().verify(&no_aud).await.is_err());
        let wrong_aud = signed(serde_json::json!({
            "sub": "u1", "exp": exp, "aud": "anon", "app_metadata": {"role": "admin"}
        }))?;
        assert!(verifier().verify(&wrong_aud).await.is_err());
        let no_exp = signed(serde_json::json!({
            "sub": "u1", "aud": "authenticated", "app_metadata": {"role": "admin"}
        }))?;
        assert!(verifier().verify(&no_exp).await.is_err());
        Ok(())
    }

    #[tokio::test]
    async fn the_issuer_is_checked_when_configured() -> Result<(), Box<dyn std::error::Error>> {
        let exp = chrono::Utc::now().timestamp() + 600;
        let iss = "https://abc.supabase.co/auth/v1";
        let strict = JwtVerifier::with_secret(
            SecretString::from("test-secret-at-least-32-bytes-long!!"),
            Some(iss.to_string()),
        );
        let good = signed(
            serde_json::json!({"sub": "u1", "exp": exp, "aud": "authenticated", "iss": iss}),
        )?;
        let other = signed(
            serde_json::json!({"sub": "u1", "exp": exp, "aud": "authenticated", "iss": "https://evil.example/auth/v1"}),
        )?;
        let none = signed(serde_json::json!({"sub": "u1", "exp": exp, "aud": "authenticated"}))?;
        assert!(strict.verify(&good).await.is_ok());
        assert!(strict.verify(&other).await.is_err());
        assert!(strict.verify(&none).await.is_err());
        // Without the setting, any issuer passes (Supabase's default set-up).
        assert!(verifier().verify(&other).await.is_ok());
        Ok(())
    }
}
