//! Refunds end to end over HTTP: real Postgres, moto SQS, the local Razorpay double.
use crate::support;

use devtools::razorpay_sim::Fault;
use serde_json::{json, Value};
use std::time::Duration;
use support::{TestApp, TestResult};

fn refund_body(enrollment: uuid::Uuid) -> Value {
    json!({ "enrollmentId": enrollment, "reason": "Family is relocating to another city", "notes": "asked by phone" })
}

#[tokio::test]
async fn prorated_refund_ends_the_enrollment_and_tells_the_parent() -> TestResult {
    let app = TestApp::spawn().await?;
    let s = app.seed_enrollment(24000, 8, 3, 72.0).await?;

    let resp = app.post_refund(&refund_body(s.enrollment_id)).await?;
    assert_eq!(resp.status(), 201);
    let body: Value = resp.json().await?;
    assert_eq!(body["calculation"]["refundAmount"], 15000);
    assert_eq!(body["calculation"]["coachSettlement"], 4500);
    assert_eq!(body["calculation"]["platformRetention"], 4500);
    assert_eq!(body["calculation"]["fullRefund"], false);
    assert_eq!(body["termination"]["refundStatus"], "processing");
    let refund_id = body["razorpayRefundId"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert!(refund_id.starts_with("rfnd_"));

    // Razorpay holds exactly one refund, of the prorated amount, tagged with our termination.
    let ledger = app.razorpay.refunds();
    assert_eq!(ledger.len(), 1);
    assert_eq!(ledger[0].amount, 15000);
    assert_eq!(ledger[0].notes["terminationId"], body["termination"]["id"]);

    assert_eq!(app.enrollment_status(s.enrollment_id).await?, "terminated");
    let db = app.db().await?;
    let rows = db
        .query(
            "SELECT status, COUNT(*) FROM scheduled_sessions WHERE enrollment_id = $1 GROUP BY status ORDER BY status",
            &[&s.enrollment_id],
        )
        .await?;
    let counts: Vec<(String, i64)> = rows.iter().map(|r| (r.get(0), r.get(1))).collect();
    assert_eq!(
        counts,
        vec![("cancelled".to_string(), 5), ("completed".to_string(), 3)]
    );

    // The parent's notice is on the queue with the figures, and the outbox row is marked sent.
    let msgs = app.queue_messages(1).await?;
    assert_eq!(msgs.len(), 1);
    assert_eq!(msgs[0]["template"], "refund_initiated");
    assert_eq!(msgs[0]["category"], "transactional");
    assert_eq!(msgs[0]["recipient"]["parentId"], json!(s.parent_id));
    assert_eq!(msgs[0]["data"]["refundAmount"], 15000);
    assert_eq!(msgs[0]["data"]["childName"], "Kabir");
    assert_eq!(
        app.count("SELECT COUNT(*) FROM outbox WHERE published_at IS NULL")
            .await?,
        0
    );
    Ok(())
}

#[tokio::test]
async fn full_refund_only_inside_24_hours_of_capture() -> TestResult {
    let app = TestApp::spawn().await?;
    let inside = app.seed_enrollment(30000, 10, 0, 23.5).await?;
    let outside = app.seed_enrollment(30000, 10, 0, 24.5).await?;
    let with_session = app.seed_enrollment(30000, 10, 1, 2.0).await?;

    let quote = |e| {
        let app = &app;
        async move {
            let mut b = refund_body(e);
            b["dryRun"] = json!(true);
            let r = app.post_refund(&b).await?;
            assert_eq!(r.status(), 200);
            r.json::<Value>().await
        }
    };
    let q = quote(inside.enrollment_id).await?;
    assert_eq!(q["calculation"]["fullRefund"], true);
    assert_eq!(q["calculation"]["refundAmount"], 30000);
    let q = quote(outside.enrollment_id).await?;
    assert_eq!(q["calculation"]["fullRefund"], false);
    let q = quote(with_session.enrollment_id).await?;
    assert_eq!(q["calculation"]["fullRefund"], false);
    // 9 of 10 unused: 27000 back, coach 50% of one session = 1500, platform 1500.
    assert_eq!(q["calculation"]["refundAmount"], 27000);
    assert_eq!(q["calculation"]["coachSettlement"], 1500);
    Ok(())
}

#[tokio::test]
async fn dry_run_quotes_and_writes_nothing() -> TestResult {
    let app = TestApp::spawn().await?;
    let s = app.seed_enrollment(24000, 8, 3, 72.0).await?;
    let mut b = refund_body(s.enrollment_id);
    b["dryRun"] = json!(true);
    let resp = app.post_refund(&b).await?;
    assert_eq!(resp.status(), 200);
    let body: Value = resp.json().await?;
    assert_eq!(body["dryRun"], true);
    assert_eq!(body["calculation"]["refundAmount"], 15000);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM enrollment_terminations")
            .await?,
        0
    );
    assert_eq!(app.count("SELECT COUNT(*) FROM outbox").await?, 0);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM scheduled_sessions WHERE status = 'cancelled'")
            .await?,
        0
    );
    assert_eq!(app.enrollment_status(s.enrollment_id).await?, "active");
    assert_eq!(app.razorpay.create_calls(), 0);
    Ok(())
}

#[tokio::test]
async fn thirty_concurrent_requests_refund_once() -> TestResult {
    let app = TestApp::spawn().await?;
    let s = app.seed_enrollment(24000, 8, 3, 72.0).await?;
    let body = refund_body(s.enrollment_id);
    let results = futures::future::join_all((0..30).map(|_| app.post_refund(&body))).await;
    let mut statuses = Vec::new();
    for r in results {
        statuses.push(r?.status().as_u16());
    }
    assert_eq!(
        statuses.iter().filter(|s| **s == 201).count(),
        1,
        "{statuses:?}"
    );
    assert_eq!(
        statuses.iter().filter(|s| **s == 409).count(),
        29,
        "{statuses:?}"
    );
    assert_eq!(app.razorpay.create_calls(), 1);
    assert_eq!(app.razorpay.refunds().len(), 1);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM enrollment_terminations")
            .await?,
        1
    );
    assert_eq!(app.count("SELECT COUNT(*) FROM outbox").await?, 1);
    Ok(())
}

#[tokio::test]
async fn gateway_refusal_fails_the_termination_and_leaves_the_enrollment() -> TestResult {
    let app = TestApp::spawn().await?;
    let s = app.seed_enrollment(24000, 8, 3, 72.0).await?;
    app.razorpay.push_fault(Fault::Refuse(
        "Your account does not have enough balance to carry out the refund operation.".into(),
    ));
    let resp = app.post_refund(&refund_body(s.enrollment_id)).await?;
    assert_eq!(resp.status(), 502);
    let body: Value = resp.json().await?;
    assert_eq!(body["code"], "gateway_refused");
    assert!(body["details"]["reason"]
        .as_str()
        .unwrap_or_default()
        .contains("enough balance"));
    assert_eq!(
        app.termination_status(s.enrollment_id).await?,
        vec!["failed"]
    );
    assert_eq!(app.enrollment_status(s.enrollment_id).await?, "active");
    assert_eq!(
        app.count("SELECT COUNT(*) FROM scheduled_sessions WHERE status = 'cancelled'")
            .await?,
        0
    );
    assert_eq!(app.count("SELECT COUNT(*) FROM outbox").await?, 0);
    let reason: Option<String> = app
        .db()
        .await?
        .query_one(
            "SELECT refund_failure_reason FROM enrollment_terminations",
            &[],
        )
        .await?
        .get(0);
    assert!(reason.unwrap_or_default().contains("enough balance"));

    // Once the balance is topped up, the admin can try again: a failed refund does not block.
    let resp = app.post_refund(&refund_body(s.enrollment_id)).await?;
    assert_eq!(resp.status(), 201);
    assert_eq!(
        app.termination_status(s.enrollment_id).await?,
        vec!["failed", "processing"]
    );
    assert_eq!(app.razorpay.refunds().len(), 1);
    Ok(())
}

#[tokio::test]
async fn timeout_leaves_pending_then_sync_adopts_the_refund_razorpay_made() -> TestResult {
    let app = TestApp::spawn().await?;
    let s = app.seed_enrollment(24000, 8, 3, 72.0).await?;
    // Razorpay makes the refund each time, but every answer arrives after our timeout.
    for _ in 0..3 {
        app.razorpay
            .push_fault(Fault::DelayAfterRecording(Duration::from_millis(1500)));
    }
    let resp = app.post_refund(&refund_body(s.enrollment_id)).await?;
    assert_eq!(resp.status(), 202);
    let body: Value = resp.json().await?;
    assert_eq!(body["termination"]["refundStatus"], "pending");
    assert_eq!(app.enrollment_status(s.enrollment_id).await?, "active");
    // Three attempts, one idempotency key: one refund.
    assert_eq!(app.razorpay.create_calls(), 3);
    assert_eq!(app.razorpay.refunds().len(), 1);

    // A second admin click is refused while the first is unresolved.
    assert_eq!(
        app.post_refund(&refund_body(s.enrollment_id))
            .await?
            .status(),
        409
    );

    let report = app.sync_refunds().await?;
    assert_eq!(report.adopted, 1, "{report:?}");
    assert_eq!(
        app.termination_status(s.enrollment_id).await?,
        vec!["processing"]
    );
    assert_eq!(app.enrollment_status(s.enrollment_id).await?, "terminated");
    assert_eq!(app.razorpay.refunds().len(), 1);
    assert_eq!(app.razorpay.create_calls(), 3, "adopting must not create");

    // Razorpay settles it; the next sync completes it and tells the parent.
    app.razorpay.settle_all("processed");
    let report = app.sync_refunds().await?;
    assert_eq!(report.adopted, 1, "{report:?}");
    assert_eq!(
        app.termination_status(s.enrollment_id).await?,
        vec!["completed"]
    );
    let templates: Vec<String> = app
        .queue_messages(2)
        .await?
        .iter()
        .map(|m| m["template"].as_str().unwrap_or_default().to_string())
        .collect();
    assert_eq!(templates, vec!["refund_initiated", "refund_completed"]);

    // Nothing left to do: a further run changes nothing.
    let report = app.sync_refunds().await?;
    assert_eq!(report.examined, 0);
    Ok(())
}

#[tokio::test]
async fn server_errors_leave_pending_then_sync_recreates_with_the_same_key() -> TestResult {
    let app = TestApp::spawn().await?;
    let s = app.seed_enrollment(24000, 8, 3, 72.0).await?;
    for _ in 0..3 {
        app.razorpay.push_fault(Fault::StatusBeforeRecording(500));
    }
    let resp = app.post_refund(&refund_body(s.enrollment_id)).await?;
    assert_eq!(resp.status(), 202);
    assert!(app.razorpay.refunds().is_empty());

    let report = app.sync_refunds().await?;
    assert_eq!(report.recreated, 1, "{report:?}");
    assert_eq!(app.razorpay.refunds().len(), 1);
    assert_eq!(
        app.termination_status(s.enrollment_id).await?,
        vec!["processing"]
    );
    assert_eq!(app.enrollment_status(s.enrollment_id).await?, "terminated");

    // Running it again (or twice at once) never makes a second refund.
    let (a, b) = tokio::join!(app.sync_refunds(), app.sync_refunds());
    a?;
    b?;
    assert_eq!(app.razorpay.refunds().len(), 1);
    assert_eq!(app.razorpay.refunds()[0].amount, 15000);
    Ok(())
}

#[tokio::test]
async fn a_500_after_razorpay_recorded_is_retried_with_the_same_key() -> TestResult {
    let app = TestApp::spawn().await?;
    let s = app.seed_enrollment(24000, 8, 3, 72.0).await?;
    app.razorpay.push_fault(Fault::StatusAfterRecording(500));
    let resp = app.post_refund(&refund_body(s.enrollment_id)).await?;
    assert_eq!(resp.status(), 201);
    assert_eq!(app.razorpay.create_calls(), 2);
    assert_eq!(app.razorpay.refunds().len(), 1);
    Ok(())
}

#[tokio::test]
async fn auth_matrix() -> TestResult {
    let app = TestApp::spawn().await?;
    let s = app.seed_enrollment(24000, 8, 3, 72.0).await?;
    let mut b = refund_body(s.enrollment_id);
    b["dryRun"] = json!(true);
    let body = b.to_string();
    let forged = shared::runtime::auth::sign_token(
        "not-the-secret-not-the-secret-000",
        support::ADMIN_USER,
        None,
        Some("admin"),
        3600,
    )?;
    let expired = shared::runtime::auth::sign_token(
        support::JWT_SECRET,
        support::ADMIN_USER,
        None,
        Some("admin"),
        -3600,
    )?;
    let parent = app.parent_token(s.parent_user_id);
    let cases: Vec<(&str, Option<String>, u16)> = vec![
        ("no token", None, 401),
        ("forged signature", Some(forged), 401),
        ("expired", Some(expired), 401),
        ("parent on an admin route", Some(parent), 403),
        ("admin", Some(app.admin_token()), 200),
    ];
    for (name, token, want) in cases {
        let resp = app
            .post_refund_raw(body.clone(), token.as_deref(), None)
            .await?;
        assert_eq!(resp.status().as_u16(), want, "{name}");
        if want != 200 {
            let e: Value = resp.json().await?;
            assert!(
                e["requestId"].is_string() && e["code"].is_string() && e["error"].is_string(),
                "{name}: {e}"
            );
        }
    }
    Ok(())
}

#[tokio::test]
async fn invalid_bodies_are_refused_with_field_details_and_nothing_written() -> TestResult {
    let app = TestApp::spawn().await?;
    let s = app.seed_enrollment(24000, 8, 3, 72.0).await?;
    let e = s.enrollment_id.to_string();
    let token = app.admin_token();
    let cases: Vec<(&str, String, u16, Option<&str>)> = vec![
        (
            "bad uuid",
            json!({"enrollmentId": "not-a-uuid", "reason": "Family is relocating"}).to_string(),
            400,
            Some("enrollmentId"),
        ),
        (
            "short reason",
            json!({"enrollmentId": e, "reason": "too short"}).to_string(),
            400,
            Some("reason"),
        ),
        (
            "long reason",
            json!({"enrollmentId": e, "reason": "x".repeat(501)}).to_string(),
            400,
            Some("reason"),
        ),
        (
            "reason wrong type",
            json!({"enrollmentId": e, "reason": 1234567890123i64}).to_string(),
            400,
            Some("reason"),
        ),
        (
            "dryRun wrong type",
            json!({"enrollmentId": e, "reason": "Family is relocating", "dryRun": "yes"})
                .to_string(),
            400,
            Some("dryRun"),
        ),
        (
            "typo field",
            json!({"enrollmentId": e, "reason": "Family is relocating", "dry_run": true})
                .to_string(),
            400,
            Some("dry_run"),
        ),
        (
            "missing fields",
            "{}".to_string(),
            400,
            Some("enrollmentId"),
        ),
        ("not json", "enrollmentId=1".to_string(), 400, None),
        ("array", "[]".to_string(), 400, None),
        (
            "1 MB body",
            format!("{{\"reason\":\"{}\"}}", "a".repeat(1024 * 1024)),
            413,
            None,
        ),
    ];
    for (name, body, want, field) in cases {
        let resp = app.post_refund_raw(body, Some(&token), None).await?;
        assert_eq!(resp.status().as_u16(), want, "{name}");
        let err: Value = resp.json().await?;
        if let Some(f) = field {
            assert!(err["details"]["fields"][f].is_string(), "{name}: {err}");
        }
    }
    assert_eq!(
        app.count("SELECT COUNT(*) FROM enrollment_terminations")
            .await?,
        0
    );
    assert_eq!(app.count("SELECT COUNT(*) FROM outbox").await?, 0);
    assert_eq!(app.razorpay.create_calls(), 0);
    assert_eq!(app.enrollment_status(s.enrollment_id).await?, "active");
    Ok(())
}

#[tokio::test]
async fn unknown_terminated_and_unpaid_enrollments_are_refused() -> TestResult {
    let app = TestApp::spawn().await?;
    let resp = app.post_refund(&refund_body(uuid::Uuid::new_v4())).await?;
    assert_eq!(resp.status(), 404);

    let s = app.seed_enrollment(24000, 8, 3, 72.0).await?;
    app.db()
        .await?
        .execute(
            "UPDATE enrollments SET status = 'terminated' WHERE id = $1",
            &[&s.enrollment_id],
        )
        .await?;
    let resp = app.post_refund(&refund_body(s.enrollment_id)).await?;
    assert_eq!(resp.status(), 409);
    assert_eq!(resp.json::<Value>().await?["code"], "already_terminated");

    let s = app.seed_enrollment(24000, 8, 3, 72.0).await?;
    app.db()
        .await?
        .execute(
            "UPDATE payments SET status = 'failed' WHERE enrollment_id = $1",
            &[&s.enrollment_id],
        )
        .await?;
    let resp = app.post_refund(&refund_body(s.enrollment_id)).await?;
    assert_eq!(resp.status(), 409);
    assert_eq!(resp.json::<Value>().await?["code"], "no_captured_payment");
    assert_eq!(app.razorpay.create_calls(), 0);
    Ok(())
}

#[tokio::test]
async fn idempotency_key_replays_the_same_answer_and_refuses_another_body() -> TestResult {
    let app = TestApp::spawn().await?;
    let s = app.seed_enrollment(24000, 8, 3, 72.0).await?;
    let token = app.admin_token();
    let body = refund_body(s.enrollment_id).to_string();
    let first = app
        .post_refund_raw(body.clone(), Some(&token), Some("admin-click-42"))
        .await?;
    assert_eq!(first.status(), 201);
    let first: Value = first.json().await?;
    let again = app
        .post_refund_raw(body.clone(), Some(&token), Some("admin-click-42"))
        .await?;
    assert_eq!(again.status(), 201);
    assert_eq!(
        again
            .headers()
            .get("idempotent-replayed")
            .and_then(|v| v.to_str().ok()),
        Some("true")
    );
    let again: Value = again.json().await?;
    assert_eq!(again["termination"]["id"], first["termination"]["id"]);
    assert_eq!(app.razorpay.create_calls(), 1);

    let other = json!({"enrollmentId": s.enrollment_id, "reason": "A different reason entirely"})
        .to_string();
    let resp = app
        .post_refund_raw(other, Some(&token), Some("admin-click-42"))
        .await?;
    assert_eq!(resp.status(), 409);
    assert_eq!(
        resp.json::<Value>().await?["code"],
        "idempotency_key_reused"
    );
    Ok(())
}

#[tokio::test]
async fn nothing_left_to_refund_ends_the_enrollment_without_a_gateway_call() -> TestResult {
    let app = TestApp::spawn().await?;
    let s = app.seed_enrollment(24000, 8, 8, 500.0).await?;
    let resp = app.post_refund(&refund_body(s.enrollment_id)).await?;
    assert_eq!(resp.status(), 201);
    let body: Value = resp.json().await?;
    assert_eq!(body["calculation"]["refundAmount"], 0);
    assert_eq!(body["calculation"]["coachSettlement"], 12000);
    assert_eq!(body["termination"]["refundStatus"], "completed");
    assert_eq!(app.razorpay.create_calls(), 0);
    assert_eq!(app.enrollment_status(s.enrollment_id).await?, "terminated");
    Ok(())
}

#[tokio::test]
async fn missing_configuration_answers_503_naming_the_variable() -> TestResult {
    let app = TestApp::spawn_with(|c| c.without("RAZORPAY_KEY_ID")).await?;
    let resp = app.post_refund(&refund_body(uuid::Uuid::new_v4())).await?;
    assert_eq!(resp.status(), 503);
    assert!(resp.headers().get("retry-after").is_some());
    let body: Value = resp.json().await?;
    assert!(body["error"]
        .as_str()
        .unwrap_or_default()
        .contains("RAZORPAY_KEY_ID"));
    Ok(())
}

#[tokio::test]
async fn a_refusal_after_a_lost_answer_is_not_a_failure_and_allows_no_second_refund() -> TestResult
{
    let app = TestApp::spawn().await?;
    let s = app.seed_enrollment(24000, 8, 3, 72.0).await?;
    // Razorpay makes the refund but the answer comes after our timeout; the retry with the same
    // key is then refused (as "fully refunded already" would be).
    app.razorpay
        .push_fault(Fault::DelayAfterRecording(Duration::from_millis(1500)));
    app.razorpay.push_fault(Fault::Refuse(
        "The payment has been fully refunded already.".into(),
    ));
    let resp = app.post_refund(&refund_body(s.enrollment_id)).await?;
    assert_eq!(
        resp.status(),
        202,
        "a refusal after an unclear attempt is unknown"
    );
    assert_eq!(
        app.termination_status(s.enrollment_id).await?,
        vec!["pending"]
    );
    // The admin clicks again: refused, no second termination, no second refund.
    assert_eq!(
        app.post_refund(&refund_body(s.enrollment_id))
            .await?
            .status(),
        409
    );
    let report = app.sync_refunds().await?;
    assert_eq!(report.adopted, 1, "{report:?}");
    assert_eq!(
        app.termination_status(s.enrollment_id).await?,
        vec!["processing"]
    );
    assert_eq!(app.razorpay.refunds().len(), 1);
    Ok(())
}

#[tokio::test]
async fn a_refusal_while_razorpay_holds_the_refund_adopts_it_instead_of_failing() -> TestResult {
    let app = TestApp::spawn().await?;
    let s = app.seed_enrollment(24000, 8, 3, 72.0).await?;
    app.razorpay.push_fault(Fault::RefuseAfterRecording(
        "The payment has been fully refunded already.".into(),
    ));
    let resp = app.post_refund(&refund_body(s.enrollment_id)).await?;
    assert_eq!(resp.status(), 201);
    let body: Value = resp.json().await?;
    let held = app.razorpay.refunds();
    assert_eq!(held.len(), 1);
    assert_eq!(body["razorpayRefundId"], held[0].id.as_str());
    assert_eq!(
        app.termination_status(s.enrollment_id).await?,
        vec!["processing"]
    );
    assert_eq!(app.enrollment_status(s.enrollment_id).await?, "terminated");
    assert_eq!(
        app.post_refund(&refund_body(s.enrollment_id))
            .await?
            .status(),
        409
    );
    assert_eq!(app.razorpay.refunds().len(), 1);
    Ok(())
}

/// A refund Razorpay accepted (the enrollment ended) and then failed.
async fn failed_after_acceptance(
    app: &TestApp,
) -> Result<(uuid::Uuid, String), Box<dyn std::error::Error + Send + Sync>> {
    let s = app.seed_enrollment(24000, 8, 3, 72.0).await?;
    let resp = app.post_refund(&refund_body(s.enrollment_id)).await?;
    assert_eq!(resp.status(), 201);
    let v: Value = resp.json().await?;
    let id = v["termination"]["id"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    app.razorpay.settle_all("failed");
    let report = app.sync_refunds().await?;
    assert_eq!(report.failed, 1, "{report:?}");
    assert_eq!(
        app.termination_status(s.enrollment_id).await?,
        vec!["failed"]
    );
    assert_eq!(app.enrollment_status(s.enrollment_id).await?, "terminated");
    Ok((s.enrollment_id, id))
}

#[tokio::test]
async fn a_refund_razorpay_failed_after_accepting_can_be_retried_under_a_new_key() -> TestResult {
    let app = TestApp::spawn().await?;
    let (enrollment, id) = failed_after_acceptance(&app).await?;
    // The enrollment is terminated, so a new termination is refused: the retry is the way.
    let resp = app.post_refund(&refund_body(enrollment)).await?;
    assert_eq!(resp.status(), 409);

    let resp = app.post_refund_retry(&id).await?;
    assert_eq!(resp.status(), 201);
    let body: Value = resp.json().await?;
    assert_eq!(body["termination"]["refundStatus"], "processing");
    assert_eq!(body["termination"]["refundAttempt"], 2);
    assert_eq!(body["previousAttempts"].as_array().map(Vec::len), Some(1));
    assert_eq!(body["previousAttempts"][0]["attempt"], 1);
    let held = app.razorpay.refunds();
    assert_eq!(held.len(), 2, "the failed refund and the new one");
    assert_eq!(held[0].status, "failed");
    assert_eq!(held[1].amount, held[0].amount, "same amount");
    assert_eq!(held[1].notes["attempt"], "2");
    assert_eq!(body["razorpayRefundId"], held[1].id.as_str());

    // Only a failed refund can be retried.
    let resp = app.post_refund_retry(&id).await?;
    assert_eq!(resp.status(), 409);
    let v: Value = resp.json().await?;
    assert_eq!(v["code"], "not_failed");

    // It completes like any other.
    app.razorpay.settle_all("processed");
    app.sync_refunds().await?;
    assert_eq!(app.termination_status(enrollment).await?, vec!["completed"]);
    Ok(())
}

#[tokio::test]
async fn twenty_concurrent_retries_make_one_attempt() -> TestResult {
    let app = TestApp::spawn().await?;
    let (_, id) = failed_after_acceptance(&app).await?;
    let calls = (0..20).map(|_| app.post_refund_retry(&id));
    let statuses: Vec<u16> = futures::future::join_all(calls)
        .await
        .into_iter()
        .map(|r| r.map(|r| r.status().as_u16()).unwrap_or(0))
        .collect();
    assert_eq!(
        statuses.iter().filter(|s| **s == 201).count(),
        1,
        "{statuses:?}"
    );
    assert_eq!(
        statuses.iter().filter(|s| **s == 409).count(),
        19,
        "{statuses:?}"
    );
    assert_eq!(app.razorpay.refunds().len(), 2);
    assert_eq!(app.count("SELECT COUNT(*) FROM refund_attempts").await?, 1);
    Ok(())
}

#[tokio::test]
async fn retry_refuses_bad_ids_unknown_terminations_and_non_admins() -> TestResult {
    let app = TestApp::spawn().await?;
    assert_eq!(app.post_refund_retry("not-a-uuid").await?.status(), 400);
    assert_eq!(
        app.post_refund_retry(&uuid::Uuid::new_v4().to_string())
            .await?
            .status(),
        404
    );
    let resp = app
        .http
        .post(format!(
            "{}/admin/refunds/{}/retry",
            app.base,
            uuid::Uuid::new_v4()
        ))
        .bearer_auth(app.parent_token(uuid::Uuid::new_v4()))
        .send()
        .await?;
    assert_eq!(resp.status(), 403);
    Ok(())
}

#[tokio::test]
async fn a_hung_sqs_does_not_hold_the_answer_after_the_money_moved() -> TestResult {
    let app = TestApp::spawn_sqs_hung().await?;
    let s = app.seed_enrollment(24000, 8, 3, 72.0).await?;
    let started = std::time::Instant::now();
    let resp = app.post_refund(&refund_body(s.enrollment_id)).await?;
    let took = started.elapsed();
    assert_eq!(resp.status(), 201);
    // The publish gives up after its budget (1.5 s); without one the SDK's own deadline (8 s)
    // would hold the admin's answer.
    assert!(took < Duration::from_secs(5), "answered after {took:?}");
    // The notice is not lost: it waits in the outbox for the relay.
    assert_eq!(
        app.count("SELECT COUNT(*) FROM outbox WHERE published_at IS NULL")
            .await?,
        1
    );
    Ok(())
}

#[tokio::test]
async fn an_idempotency_key_abandoned_by_its_first_request_can_be_taken_over_after_the_lease(
) -> TestResult {
    let app = TestApp::spawn().await?;
    let s = app.seed_enrollment(24000, 8, 3, 72.0).await?;
    let body = refund_body(s.enrollment_id).to_string();
    let hash = shared::runtime::idempotency::hash_body(body.as_bytes());
    let scope = format!("refund-initiate:{}", support::ADMIN_USER);
    let db = app.db().await?;
    // A first request that died 10 s ago: still inside its lease → 409 in progress.
    db.execute(
        "INSERT INTO idempotency_keys (scope, key, request_hash, created_at) VALUES ($1, 'k-dead', $2, NOW() - INTERVAL '10 seconds')",
        &[&scope, &hash],
    )
    .await?;
    let resp = app
        .post_refund_raw(body.clone(), Some(&app.admin_token()), Some("k-dead"))
        .await?;
    assert_eq!(resp.status(), 409);
    assert_eq!(
        resp.json::<Value>().await?["code"],
        "idempotency_key_in_progress"
    );
    // Past the lease, the same request takes the key over and runs.
    db.execute(
        "UPDATE idempotency_keys SET created_at = NOW() - INTERVAL '2 minutes' WHERE key = 'k-dead'",
        &[],
    )
    .await?;
    let resp = app
        .post_refund_raw(body.clone(), Some(&app.admin_token()), Some("k-dead"))
        .await?;
    assert_eq!(resp.status(), 201);
    // And its answer is stored for replay.
    let again = app
        .post_refund_raw(body, Some(&app.admin_token()), Some("k-dead"))
        .await?;
    assert_eq!(again.status(), 201);
    assert_eq!(
        again
            .headers()
            .get("idempotent-replayed")
            .and_then(|v| v.to_str().ok()),
        Some("true")
    );
    // Another body is still refused even past the lease.
    db.execute(
        "INSERT INTO idempotency_keys (scope, key, request_hash, created_at) VALUES ($1, 'k-old', 'other', NOW() - INTERVAL '2 minutes')",
        &[&scope],
    )
    .await?;
    let resp = app
        .post_refund_raw(
            refund_body(s.enrollment_id).to_string(),
            Some(&app.admin_token()),
            Some("k-old"),
        )
        .await?;
    assert_eq!(resp.status(), 409);
    Ok(())
}
