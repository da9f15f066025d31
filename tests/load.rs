//! Many requests at once over several routes, as Lambda fan-out sends them. The test command
//! runs it twice: straight to PostgreSQL, and through PgBouncer in transaction mode
//! (`TEST_POOLER_URL`), where a named prepared statement would be lost between its Parse and
//! its Bind ("prepared statement \"s42\" does not exist") and answer 500.
use crate::support;

use futures::future::join_all;
use serde_json::{json, Value};
use support::{TestApp, TestResult};

const PER_ROUTE: usize = 80;

#[tokio::test]
async fn two_hundred_forty_concurrent_requests_over_three_routes_all_answer_200() -> TestResult {
    let app = TestApp::spawn().await?;
    let mut parents = Vec::new();
    for _ in 0..4 {
        parents.push(app.seed_enrollment(24_000, 8, 2, 30.0).await?);
    }
    let admin = app.admin_token();
    let mut requests = Vec::new();
    for i in 0..PER_ROUTE {
        requests.push(
            app.http
                .get(format!("{}/admin/payments/stats", app.base))
                .bearer_auth(&admin),
        );
        requests.push(
            app.http
                .get(format!(
                    "{}/admin/payments?limit=5&page={}",
                    app.base,
                    i % 3 + 1
                ))
                .bearer_auth(&admin),
        );
        let parent = &parents[i % parents.len()];
        requests.push(
            app.http
                .get(format!("{}/parent/notification-preferences", app.base))
                .bearer_auth(app.parent_token(parent.parent_user_id)),
        );
    }
    let n = requests.len();
    let answers = join_all(requests.into_iter().map(|r| async move {
        match r.send().await {
            Ok(resp) => resp.status().as_u16(),
            Err(_) => 0,
        }
    }))
    .await;
    let ok = answers.iter().filter(|s| **s == 200).count();
    let mut others: Vec<u16> = answers.iter().copied().filter(|s| *s != 200).collect();
    others.sort_unstable();
    assert_eq!(ok, n, "{} of {n} answered 200; the others: {others:?}", ok);
    assert!(n >= 200);
    Ok(())
}

/// Concurrent PUTs that each flip a different key, repeated: every flip is kept (the merge is
/// one statement, so no PUT overwrites another's key with what it read before).
#[tokio::test]
async fn concurrent_preference_puts_on_different_keys_keep_every_change() -> TestResult {
    let app = TestApp::spawn().await?;
    let p = app.seed_enrollment(1000, 1, 0, 1.0).await?;
    let token = app.parent_token(p.parent_user_id);
    let url = format!("{}/parent/notification-preferences", app.base);
    let keys = [
        "whatsapp",
        "email",
        "sms",
        "marketing",
        "session_reminders",
        "progress_updates",
        "promotional",
    ];
    for round in 0..10 {
        let value = round % 2 == 0;
        let puts = keys.iter().map(|k| {
            app.http
                .put(&url)
                .bearer_auth(&token)
                .json(&json!({ *k: value }))
                .send()
        });
        for r in join_all(puts).await {
            assert_eq!(r?.status().as_u16(), 200);
        }
        let got: Value = app
            .http
            .get(&url)
            .bearer_auth(&token)
            .send()
            .await?
            .json()
            .await?;
        for k in keys {
            assert_eq!(got[k], json!(value), "round {round}: {k} lost its change");
        }
    }
    Ok(())
}
