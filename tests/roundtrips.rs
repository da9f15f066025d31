//! Round trips per request, counted on the wire by a proxy between the functions and
//! PostgreSQL (`devtools::wirecount`): each Sync and each simple Query is one. Warm
//! connections (after one request per route), as a Lambda environment serves its second
//! request. Also: no named Parse on any route — a transaction-mode pooler would lose it.
//! `cargo test --test integration roundtrips:: -- --nocapture` prints the table (README, "Database access").
use crate::support;

use devtools::wirecount::Counts;
use serde_json::json;
use support::{TestApp, TestResult};

#[tokio::test]
async fn each_route_meets_its_round_trip_budget_with_no_named_statement() -> TestResult {
    let (app, proxy) = TestApp::spawn_counted().await?;
    let s = app.seed_enrollment(24_000, 8, 3, 30.0).await?;
    let admin = app.admin_token();
    let parent = app.parent_token(s.parent_user_id);
    let base = app.base.clone();
    let http = app.http.clone();
    let dry_run = json!({"enrollmentId": s.enrollment_id, "reason": "Family is relocating abroad", "dryRun": true});

    let db = app.db().await?;
    let child: uuid::Uuid = db
        .query_one(
            "INSERT INTO children (name, age, status) VALUES ('Kid', 6, 'lead') RETURNING id",
            &[],
        )
        .await?
        .get(0);
    let coach: uuid::Uuid = db
        .query_one(
            "INSERT INTO coaches (name) VALUES ('Coach') RETURNING id",
            &[],
        )
        .await?
        .get(0);
    let routes: Vec<(&str, u64, reqwest::RequestBuilder)> = vec![
        (
            "GET /admin/coaches/match",
            2,
            http.get(format!("{base}/admin/coaches/match?childId={child}"))
                .bearer_auth(&admin),
        ),
        (
            "PUT /admin/coaches/{coachId}/specializations",
            6,
            http.put(format!("{base}/admin/coaches/{coach}/specializations"))
                .bearer_auth(&admin)
                .json(&json!({"specializations": [{"type": "learning_need", "value": "adhd", "proficiency": 7}]})),
        ),
        (
            "GET /admin/payments/stats",
            2,
            http.get(format!("{base}/admin/payments/stats"))
                .bearer_auth(&admin),
        ),
        (
            "GET /admin/payments?limit=20",
            2,
            http.get(format!("{base}/admin/payments?limit=20"))
                .bearer_auth(&admin),
        ),
        (
            "GET /parent/notification-preferences",
            2,
            http.get(format!("{base}/parent/notification-preferences"))
                .bearer_auth(&parent),
        ),
        (
            "PUT /parent/notification-preferences",
            2,
            http.put(format!("{base}/parent/notification-preferences"))
                .bearer_auth(&parent)
                .json(&json!({"marketing": true})),
        ),
        (
            "POST /admin/refunds (dryRun)",
            4,
            http.post(format!("{base}/admin/refunds"))
                .bearer_auth(&admin)
                .json(&dry_run),
        ),
    ];
    println!("| route | round trips | named Parse |\n|---|---:|---:|");
    let mut over = Vec::new();
    let mut named = 0;
    for (name, budget, req) in routes {
        // Warm-up: the pool's connection exists and is recent.
        let warm = req.try_clone().ok_or("request not cloneable")?;
        assert_eq!(warm.send().await?.status().as_u16(), 200, "{name}");
        let before: Counts = proxy.counts();
        let status = req.send().await?.status().as_u16();
        let used = proxy.counts().since(&before);
        assert_eq!(status, 200, "{name}");
        println!(
            "| {name} | {} | {} |",
            used.round_trips(),
            used.named_parses
        );
        named += used.named_parses;
        if used.round_trips() > budget {
            over.push(format!("{name}: {} > {budget}", used.round_trips()));
        }
    }
    assert!(
        proxy.counts().unnamed_parses > 0,
        "the proxy saw no statements"
    );
    assert_eq!(named, 0, "named prepared statements on the wire");
    assert!(over.is_empty(), "over budget: {over:?}");
    Ok(())
}
