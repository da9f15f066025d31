//! Every route × every kind of caller, generated from the function list (a new route is covered
//! the day it is added): no token, garbage, a bad signature, expired, `alg: none`, signed with
//! another secret, a parent, another parent, an admin — and with the project's signing keys
//! (a JWKS double): an ES256 admin, an RS256 parent, a key the project does not publish. Each cell answers what the document says
//! (401 / 403 / the route's own answer), never 5xx, and a parent never sees another's data.
use crate::support;

use base64::Engine;
use serde_json::{json, Value};
use shared::functions::routes;
use support::{TestApp, TestResult, JWT_SECRET};

#[derive(Debug, Clone, Copy, PartialEq)]
enum Caller {
    Nothing,
    Garbage,
    BadSignature,
    Expired,
    AlgNone,
    OtherSecret,
    Parent,
    OtherParent,
    Admin,
    Es256Admin,
    Rs256Parent,
    UnpublishedKey,
}

const CALLERS: [Caller; 12] = [
    Caller::Nothing,
    Caller::Garbage,
    Caller::BadSignature,
    Caller::Expired,
    Caller::AlgNone,
    Caller::OtherSecret,
    Caller::Parent,
    Caller::OtherParent,
    Caller::Admin,
    Caller::Es256Admin,
    Caller::Rs256Parent,
    Caller::UnpublishedKey,
];

fn alg_none(sub: &str) -> String {
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let header = b64.encode(br#"{"alg":"none","typ":"JWT"}"#);
    let claims = b64.encode(
        json!({"sub": sub, "aud": "authenticated", "exp": chrono::Utc::now().timestamp() + 3600,
               "app_metadata": {"role": "admin"}})
        .to_string(),
    );
    format!("{header}.{claims}.")
}

#[tokio::test]
async fn every_route_answers_every_caller_as_documented() -> TestResult {
    let (jwks_server, jwks) = support::signing_keys::jwks_double().await;
    let project = jwks_server.uri();
    let app = TestApp::spawn_with(|c| c.with("SUPABASE_URL", project.as_str())).await?;
    let iss = format!("{project}/auth/v1");
    let (ec, rsa) = (
        support::signing_keys::es256("ec-1")?,
        support::signing_keys::rs256("rsa-1")?,
    );
    let unpublished = support::signing_keys::es256("ec-2")?;
    jwks.publish(&[&ec, &rsa]);
    let a = app.seed_enrollment(24000, 8, 3, 72.0).await?;
    let b = app.seed_enrollment(36000, 8, 0, 1.0).await?;
    let admin = app.admin_token();
    use support::signing_keys::{claims, sign};
    let es_admin = sign(&ec, Some("ec-1"), &claims(&iss, support::ADMIN_USER, true))?;
    let rs_parent = sign(
        &rsa,
        Some("rsa-1"),
        &claims(&iss, &a.parent_user_id.to_string(), false),
    )?;
    let unpublished_admin = sign(
        &unpublished,
        Some("ec-2"),
        &claims(&iss, support::ADMIN_USER, true),
    )?;
    let mut bad_sig = admin.clone();
    bad_sig.pop();
    bad_sig.push(if admin.ends_with('A') { 'B' } else { 'A' });
    let header = |c: Caller| -> Result<Option<String>, jsonwebtoken::errors::Error> {
        let sub = support::ADMIN_USER;
        Ok(match c {
            Caller::Nothing => None,
            Caller::Garbage => Some("Bearer not-a-token".into()),
            Caller::BadSignature => Some(format!("Bearer {bad_sig}")),
            Caller::Expired => Some(format!(
                "Bearer {}",
                shared::runtime::auth::sign_token(JWT_SECRET, sub, None, Some("admin"), -7200)?
            )),
            Caller::AlgNone => Some(format!("Bearer {}", alg_none(sub))),
            Caller::OtherSecret => Some(format!(
                "Bearer {}",
                shared::runtime::auth::sign_token(
                    "another-secret-0123456789abcdef0123",
                    sub,
                    None,
                    Some("admin"),
                    3600
                )?
            )),
            Caller::Parent => Some(format!("Bearer {}", app.parent_token(a.parent_user_id))),
            Caller::OtherParent => Some(format!("Bearer {}", app.parent_token(b.parent_user_id))),
            Caller::Admin => Some(format!("Bearer {admin}")),
            Caller::Es256Admin => Some(format!("Bearer {es_admin}")),
            Caller::Rs256Parent => Some(format!("Bearer {rs_parent}")),
            Caller::UnpublishedKey => Some(format!("Bearer {unpublished_admin}")),
        })
    };
    // Parent A has turned WhatsApp off; nobody else must ever be shown that.
    let resp = app
        .http
        .put(format!("{}/parent/notification-preferences", app.base))
        .bearer_auth(app.parent_token(a.parent_user_id))
        .json(&json!({"whatsapp": false}))
        .send()
        .await?;
    assert_eq!(resp.status(), 200);

    let mut cells = 0;
    for (route, function) in routes() {
        let needs_jwt = function
            .needs
            .iter()
            .any(|n| n.name == shared::runtime::needs::JWT.name);
        let admin_route = route.path.starts_with("/admin");
        // Coach routes take a coach's token (its email is a coach's): parents and admins are refused.
        let coach_route = route.path.starts_with("/coach");
        // Routes for any signed-in user (the apps' e-learning list): admins and parents alike.
        let any_user_route = route.path.starts_with("/elearning");
        let path = route
            .path
            .replace("{terminationId}", &uuid::Uuid::new_v4().to_string())
            .replace("{payoutId}", &uuid::Uuid::new_v4().to_string());
        for caller in CALLERS {
            let mut req = app
                .http
                .request(route.method.parse()?, format!("{}{path}", app.base));
            if let Some(h) = header(caller)? {
                req = req.header("authorization", h);
            }
            if route.method != "GET" {
                req = req.header("content-type", "application/json").body("{}");
            }
            let resp = req.send().await?;
            let status = resp.status().as_u16();
            let body = resp.text().await?;
            let cell = format!(
                "{} {} as {caller:?} → {status} {body}",
                route.method, route.path
            );
            assert!(status < 500, "{cell}");
            cells += 1;
            if !needs_jwt {
                // Public routes: a token changes nothing. The webhook wants its signature; the
                // retry link wants a valid token in the query.
                let want = if route.path.starts_with("/webhooks") {
                    401
                } else {
                    404
                };
                assert_eq!(status, want, "{cell}");
                continue;
            }
            let want_denied = match caller {
                Caller::Nothing
                | Caller::Garbage
                | Caller::BadSignature
                | Caller::Expired
                | Caller::AlgNone
                | Caller::OtherSecret
                | Caller::UnpublishedKey => Some(401),
                Caller::Parent | Caller::OtherParent | Caller::Rs256Parent
                    if admin_route || coach_route =>
                {
                    Some(403)
                }
                Caller::Admin | Caller::Es256Admin if !admin_route && !any_user_route => Some(403),
                _ => None,
            };
            match want_denied {
                Some(want) => assert_eq!(status, want, "{cell}"),
                None => {
                    assert!(status != 401 && status != 403, "{cell}");
                    if route.path == "/parent/notification-preferences" {
                        assert_eq!(status, 200, "{cell}");
                        let v: Value = serde_json::from_str(&body)?;
                        let own_whatsapp = matches!(caller, Caller::Parent | Caller::Rs256Parent)
                            && route.method == "GET";
                        if caller == Caller::OtherParent {
                            assert_eq!(v["whatsapp"], true, "another parent's data leaked: {cell}");
                        } else if own_whatsapp {
                            assert_eq!(v["whatsapp"], false, "{cell}");
                        }
                    }
                }
            }
        }
    }
    assert_eq!(cells, routes().count() * CALLERS.len());
    Ok(())
}
