//! Supabase's asymmetric signing keys against a JWKS double served by the test (ES256 and RS256
//! keys made here): tokens of each algorithm, every kind of bad token, rotation and revocation
//! through the cache's TTL, a flood of unknown kids, the JWKS down with and without keys cached,
//! and HS256 once the legacy secret is gone.
use crate::support;

use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::json;
use std::sync::Arc;
use std::time::Duration;
use support::signing_keys::{b64, claims, es256, jwks_double, rs256, sign, Jwks};
use support::{TestApp, TestResult, JWT_SECRET};
use wiremock::MockServer;

type E = Box<dyn std::error::Error + Send + Sync>;

/// A project at a JWKS double; `secret`: whether the legacy HS256 secret is still set.
async fn project(ttl_secs: u64, secret: bool) -> Result<(TestApp, MockServer, Jwks, String), E> {
    let (server, jwks) = jwks_double().await;
    let url = server.uri();
    let ttl = ttl_secs.to_string();
    let app = TestApp::spawn_with(move |c| {
        let c = c
            .with("SUPABASE_URL", url.as_str())
            .with("SUPABASE_JWKS_TTL_SECONDS", ttl.as_str());
        if secret {
            c
        } else {
            c.without("SUPABASE_JWT_SECRET")
        }
    })
    .await?;
    let iss = format!("{}/auth/v1", server.uri());
    Ok((app, server, jwks, iss))
}

/// The status of an admin route for `token`, with its Retry-After when there is one.
async fn admin_status(app: &TestApp, token: &str) -> Result<(u16, Option<String>), E> {
    let r = app
        .http
        .get(format!("{}/admin/payments/stats", app.base))
        .bearer_auth(token)
        .send()
        .await?;
    let retry = r
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    Ok((r.status().as_u16(), retry))
}

async fn status(app: &TestApp, token: &str) -> Result<u16, E> {
    Ok(admin_status(app, token).await?.0)
}

#[tokio::test]
async fn es256_and_rs256_tokens_are_verified_with_the_projects_keys() -> TestResult {
    let (app, _server, jwks, iss) = project(600, true).await?;
    let ec = es256("ec-1")?;
    let rsa = rs256("rsa-1")?;
    jwks.publish(&[&ec, &rsa]);
    for key in [&ec, &rsa] {
        let admin = sign(key, Some(&key.kid), &claims(&iss, "admin-1", true))?;
        assert_eq!(status(&app, &admin).await?, 200, "{:?} admin", key.alg);
        // A parent's token is verified, then refused the admin route.
        let parent = sign(key, Some(&key.kid), &claims(&iss, "parent-1", false))?;
        assert_eq!(status(&app, &parent).await?, 403, "{:?} parent", key.alg);
    }
    // The legacy secret still verifies HS256 while it is set.
    let legacy =
        shared::runtime::auth::sign_token(JWT_SECRET, "admin-2", None, Some("admin"), 600)?;
    assert_eq!(status(&app, &legacy).await?, 200);

    let other = es256("ec-1")?; // another key under a known kid
    let mut bad: Vec<(&str, String)> = vec![
        (
            "another key under a known kid",
            sign(&other, Some("ec-1"), &claims(&iss, "a", true))?,
        ),
        (
            "wrong iss",
            sign(
                &ec,
                Some("ec-1"),
                &claims("https://evil.supabase.co/auth/v1", "a", true),
            )?,
        ),
        ("no kid", sign(&ec, None, &claims(&iss, "a", true))?),
    ];
    let mut anon = claims(&iss, "a", true);
    anon["aud"] = json!("anon");
    bad.push(("aud anon", sign(&ec, Some("ec-1"), &anon)?));
    let mut expired = claims(&iss, "a", true);
    expired["exp"] = json!(chrono::Utc::now().timestamp() - 3600);
    bad.push(("expired", sign(&rsa, Some("rsa-1"), &expired)?));
    let mut no_exp = claims(&iss, "a", true);
    if let Some(m) = no_exp.as_object_mut() {
        m.remove("exp");
    }
    bad.push(("no exp", sign(&rsa, Some("rsa-1"), &no_exp)?));
    // alg none: the header says so and there is no signature.
    let none_header = b64(br#"{"alg":"none","typ":"JWT","kid":"ec-1"}"#);
    let body = b64(serde_json::to_string(&claims(&iss, "a", true))?.as_bytes());
    bad.push(("alg none", format!("{none_header}.{body}.")));
    // Algorithm confusion: HS256 keyed with the RSA key's public JWK bytes, under its kid.
    let mut hs = Header::new(Algorithm::HS256);
    hs.kid = Some("rsa-1".into());
    let public_bytes = serde_json::to_vec(&rsa.jwk)?;
    bad.push((
        "HS256 with a public key's bytes",
        jsonwebtoken::encode(
            &hs,
            &claims(&iss, "a", true),
            &EncodingKey::from_secret(&public_bytes),
        )?,
    ));
    // A token whose alg does not match its key's: RS256 header on the EC key's kid.
    bad.push((
        "RS256 on an EC kid",
        sign(&rsa, Some("ec-1"), &claims(&iss, "a", true))?,
    ));
    for (what, token) in &bad {
        assert_eq!(status(&app, token).await?, 401, "{what}");
    }
    Ok(())
}

#[tokio::test]
async fn keys_rotate_in_and_out_through_the_ttl() -> TestResult {
    let (app, _server, jwks, iss) = project(1, true).await?;
    let old = es256("old")?;
    let new = rs256("new")?;
    jwks.publish(&[&old]);
    let old_token = sign(&old, Some("old"), &claims(&iss, "a", true))?;
    let new_token = sign(&new, Some("new"), &claims(&iss, "a", true))?;
    assert_eq!(status(&app, &old_token).await?, 200);
    // The new key is published (standby → in use): accepted once the cache has turned over.
    jwks.publish(&[&old, &new]);
    tokio::time::sleep(Duration::from_millis(1100)).await;
    assert_eq!(status(&app, &new_token).await?, 200);
    // The old key is revoked (removed): refused once the cache has turned over.
    jwks.publish(&[&new]);
    tokio::time::sleep(Duration::from_millis(1100)).await;
    assert_eq!(status(&app, &old_token).await?, 401);
    assert_eq!(status(&app, &new_token).await?, 200);
    Ok(())
}

#[tokio::test]
async fn a_flood_of_unknown_kids_costs_at_most_two_fetches() -> TestResult {
    let (app, _server, jwks, iss) = project(600, true).await?;
    let ec = es256("ec-1")?;
    jwks.publish(&[&ec]);
    let forged = es256("x")?;
    let tokens: Vec<String> = (0..40)
        .map(|i| {
            sign(
                &forged,
                Some(&format!("forged-{i}")),
                &claims(&iss, "a", true),
            )
        })
        .collect::<Result<_, _>>()?;
    let app = Arc::new(app);
    let answers = futures::future::join_all(tokens.iter().map(|t| {
        let app = app.clone();
        let t = t.clone();
        async move { status(&app, &t).await.unwrap_or(0) }
    }))
    .await;
    assert!(answers.iter().all(|s| *s == 401), "{answers:?}");
    assert!(jwks.fetched() <= 2, "{} fetches", jwks.fetched());
    Ok(())
}

#[tokio::test]
async fn the_jwks_down_keeps_cached_keys_and_a_fresh_start_answers_503_until_it_is_back(
) -> TestResult {
    // Keys cached, then the JWKS goes down: still verified past the TTL.
    let (app, _server, jwks, iss) = project(1, true).await?;
    let ec = es256("ec-1")?;
    jwks.publish(&[&ec]);
    let token = sign(&ec, Some("ec-1"), &claims(&iss, "a", true))?;
    assert_eq!(status(&app, &token).await?, 200);
    jwks.set_down(true);
    tokio::time::sleep(Duration::from_millis(1100)).await;
    assert_eq!(status(&app, &token).await?, 200);
    assert_eq!(status(&app, &token).await?, 200);

    // A fresh process while the JWKS is down: 503 with Retry-After, then 200 once it answers.
    let (fresh, _server2, jwks2, iss2) = project(600, true).await?;
    jwks2.publish(&[&ec]);
    jwks2.set_down(true);
    let token2 = sign(&ec, Some("ec-1"), &claims(&iss2, "a", true))?;
    let (s, retry) = admin_status(&fresh, &token2).await?;
    assert_eq!((s, retry.as_deref()), (503, Some("5")));
    jwks2.set_down(false);
    let deadline = std::time::Instant::now() + Duration::from_secs(6);
    let mut last = 503;
    while std::time::Instant::now() < deadline {
        last = status(&fresh, &token2).await?;
        if last == 200 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    assert_eq!(last, 200, "a later request fetched the keys within 5 s");
    Ok(())
}

#[tokio::test]
async fn without_the_legacy_secret_an_hs256_token_is_refused() -> TestResult {
    let (app, _server, jwks, iss) = project(600, false).await?;
    let ec = es256("ec-1")?;
    jwks.publish(&[&ec]);
    let legacy =
        shared::runtime::auth::sign_token(JWT_SECRET, "admin-2", None, Some("admin"), 600)?;
    assert_eq!(status(&app, &legacy).await?, 401);
    let token = sign(&ec, Some("ec-1"), &claims(&iss, "a", true))?;
    assert_eq!(status(&app, &token).await?, 200);
    Ok(())
}

#[tokio::test]
async fn a_function_with_neither_the_keys_nor_the_secret_does_not_start() -> TestResult {
    let config = shared::runtime::config::Config::from_pairs([(
        "DATABASE_URL",
        "postgres://nobody@127.0.0.1:9/none",
    )]);
    let err =
        shared::runtime::context::AppContext::from_needs(config, 1, shared::dashboard::STATS.needs)
            .await
            .err()
            .map(|e| format!("{e:#}"))
            .unwrap_or_default();
    assert!(
        err.contains("SUPABASE_URL") && err.contains("SUPABASE_JWT_SECRET"),
        "{err}"
    );
    // A URL that is not one is refused at the start too, naming the variable.
    let config = shared::runtime::config::Config::from_pairs([
        ("DATABASE_URL", "postgres://nobody@127.0.0.1:9/none"),
        ("SUPABASE_URL", "abcd.supabase.co"),
    ]);
    let err =
        shared::runtime::context::AppContext::from_needs(config, 1, shared::dashboard::STATS.needs)
            .await
            .err()
            .map(|e| format!("{e:#}"))
            .unwrap_or_default();
    assert!(err.contains("SUPABASE_URL"), "{err}");
    Ok(())
}
