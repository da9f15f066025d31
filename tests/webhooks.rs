//! Razorpay webhooks and the retry link, end to end over HTTP against a real database.
use crate::support;

use devtools::razorpay_sim::Fault;
use serde_json::{json, Value};
use std::time::Duration;
use support::{TestApp, TestResult};

fn payment_failed(
    payment_id: &str,
    order_id: &str,
    email: Value,
    contact: Value,
    notes: Value,
) -> Vec<u8> {
    json!({
        "entity": "event", "account_id": "acc_test", "event": "payment.failed", "contains": ["payment"],
        "payload": { "payment": { "entity": {
            "id": payment_id, "entity": "payment", "amount": 24000, "currency": "INR", "status": "failed",
            "order_id": order_id, "method": "card", "captured": false, "email": email, "contact": contact,
            "notes": notes, "error_code": "BAD_REQUEST_ERROR", "error_description": "Payment failed because of insufficient funds",
            "error_source": "customer", "error_step": "payment_authorization", "error_reason": "insufficient_funds",
            "created_at": 1795500000
        }}},
        "created_at": 1795500001
    })
    .to_string()
    .into_bytes()
}

fn payment_captured(event: &str, payment_id: &str, order_id: &str) -> Vec<u8> {
    json!({
        "entity": "event", "account_id": "acc_test", "event": event, "contains": ["payment"],
        "payload": { "payment": { "entity": {
            "id": payment_id, "entity": "payment", "amount": 24000, "currency": "INR", "status": "captured",
            "order_id": order_id, "captured": true, "email": "meera@example.com", "contact": "+919811111111",
            "notes": [], "error_code": null, "error_description": null, "created_at": 1795500100
        }}},
        "created_at": 1795500101
    })
    .to_string()
    .into_bytes()
}

fn refund_event(event: &str, refund_id: &str, status: &str, termination_id: &str) -> Vec<u8> {
    json!({
        "entity": "event", "account_id": "acc_test", "event": event, "contains": ["refund", "payment"],
        "payload": {
            "refund": { "entity": {
                "id": refund_id, "entity": "refund", "amount": 15000, "currency": "INR", "payment_id": "pay_x",
                "notes": { "terminationId": termination_id }, "status": status, "created_at": 1795500200
            }},
            "payment": { "entity": { "id": "pay_x", "entity": "payment", "amount": 24000, "notes": [] } }
        },
        "created_at": 1795500201
    })
    .to_string()
    .into_bytes()
}

async fn outbox_templates(
    app: &TestApp,
) -> Result<Vec<String>, Box<dyn std::error::Error + Send + Sync>> {
    let db = app.db().await?;
    Ok(db
        .query(
            "SELECT payload->>'template' FROM outbox ORDER BY created_at",
            &[],
        )
        .await?
        .iter()
        .map(|r| r.get(0))
        .collect())
}

async fn retry_token(app: &TestApp) -> Result<String, Box<dyn std::error::Error + Send + Sync>> {
    // The outbox carries the failed payment's id; the link's token is derived from it, as the
    // dispatcher does at send time.
    let db = app.db().await?;
    let id: String = db
        .query_one("SELECT payload->'data'->>'failedPaymentId' FROM outbox WHERE payload->>'template' = 'payment_failed'", &[])
        .await?
        .get(0);
    Ok(shared::payments::retry_link::link_token(
        support::RETRY_LINK_SECRET.as_bytes(),
        uuid::Uuid::parse_str(&id)?,
    ))
}

#[tokio::test]
async fn unsigned_or_wrongly_signed_webhooks_are_refused_and_nothing_is_stored() -> TestResult {
    let app = TestApp::spawn().await?;
    let body = payment_failed(
        "pay_A1",
        "order_A1",
        json!("meera@example.com"),
        json!("+919811111111"),
        json!([]),
    );
    assert_eq!(
        app.post_webhook(&body, "evt_1", Some("")).await?.status(),
        401
    );
    let wrong = shared::runtime::inbound::signature::sign(b"another-secret", &body);
    assert_eq!(
        app.post_webhook(&body, "evt_1", Some(&wrong))
            .await?
            .status(),
        401
    );
    assert_eq!(
        app.post_webhook(&body, "evt_1", Some("not-hex"))
            .await?
            .status(),
        401
    );
    // Signed, then one byte changed in transit.
    let sig = shared::runtime::inbound::signature::sign(support::WEBHOOK_SECRET.as_bytes(), &body);
    let mut tampered = body.clone();
    let at = tampered.iter().position(|b| *b == b'4').unwrap_or(0);
    tampered[at] = b'9';
    assert_eq!(
        app.post_webhook(&tampered, "evt_1", Some(&sig))
            .await?
            .status(),
        401
    );
    assert_eq!(app.count("SELECT COUNT(*) FROM webhook_events").await?, 0);
    assert_eq!(app.count("SELECT COUNT(*) FROM failed_payments").await?, 0);

    let big = vec![b' '; 300 * 1024];
    assert_eq!(app.post_webhook(&big, "evt_big", None).await?.status(), 413);

    assert_eq!(app.post_webhook(&body, "evt_1", None).await?.status(), 200);
    assert_eq!(app.count("SELECT COUNT(*) FROM webhook_events").await?, 1);
    let raw: String = app
        .db()
        .await?
        .query_one("SELECT raw_payload FROM webhook_events", &[])
        .await?
        .get(0);
    assert_eq!(
        raw.as_bytes(),
        body.as_slice(),
        "the raw payload is kept byte for byte"
    );
    Ok(())
}

#[tokio::test]
async fn base64_encoded_api_gateway_bodies_are_verified_on_the_decoded_bytes() -> TestResult {
    use base64::Engine;
    let app = TestApp::spawn().await?;
    let body = payment_failed(
        "pay_B64",
        "order_B64",
        json!("meera@example.com"),
        json!(""),
        json!([]),
    );
    let sig = shared::runtime::inbound::signature::sign(support::WEBHOOK_SECRET.as_bytes(), &body);
    let event = json!({
        "version": "2.0", "routeKey": "POST /webhooks/razorpay", "rawPath": "/webhooks/razorpay", "rawQueryString": "",
        "headers": { "content-type": "application/json", "x-razorpay-signature": sig, "x-razorpay-event-id": "evt_b64" },
        "requestContext": { "accountId": "1", "apiId": "a", "domainName": "d", "domainPrefix": "d",
            "http": { "method": "POST", "path": "/webhooks/razorpay", "protocol": "HTTP/1.1", "sourceIp": "1.1.1.1", "userAgent": "Razorpay-Webhook/v1" },
            "requestId": "b64-test", "routeKey": "POST /webhooks/razorpay", "stage": "$default", "time": "24/Nov/2026:10:00:00 +0000", "timeEpoch": 1 },
        "body": base64::engine::general_purpose::STANDARD.encode(&body),
        "isBase64Encoded": true
    });
    let req = lambda_http::request::from_str(&event.to_string())?;
    let resp = shared::webhooks::PAYMENT_WEBHOOK
        .call_http(&app.ctx, req)
        .await
        .ok_or("payment-webhook is an HTTP function")?;
    assert_eq!(resp.status(), 200);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM failed_payments WHERE razorpay_payment_id = 'pay_B64'")
            .await?,
        1
    );
    Ok(())
}

#[tokio::test]
async fn the_same_event_twenty_times_at_once_has_one_effect() -> TestResult {
    let app = TestApp::spawn().await?;
    let body = payment_failed(
        "pay_C1",
        "order_C1",
        json!("meera@example.com"),
        json!("+919811111111"),
        json!({"childName": "Kabir"}),
    );
    let results =
        futures::future::join_all((0..20).map(|_| app.post_webhook(&body, "evt_same", None))).await;
    for r in results {
        assert_eq!(r?.status(), 200);
    }
    assert_eq!(app.count("SELECT COUNT(*) FROM webhook_events").await?, 1);
    assert_eq!(app.count("SELECT COUNT(*) FROM failed_payments").await?, 1);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM payment_retry_tokens")
            .await?,
        1
    );
    assert_eq!(outbox_templates(&app).await?, vec!["payment_failed"]);
    let msgs = app.queue_messages(1).await?;
    assert_eq!(msgs.len(), 1);
    assert_eq!(msgs[0]["data"]["childName"], "Kabir");
    assert!(msgs[0]["data"]["reason"]
        .as_str()
        .unwrap_or_default()
        .contains("insufficient funds"));
    // No secret on the queue or in the outbox: the failed payment's id, not the link's token.
    assert!(msgs[0]["data"].get("retryLink").is_none());
    assert!(msgs[0]["data"]["failedPaymentId"].is_string());
    let token = retry_token(&app).await?;
    assert!(!msgs[0].to_string().contains(&token));
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) FROM outbox WHERE payload::TEXT LIKE '%{token}%'"
        ))
        .await?,
        0
    );
    // The token is stored only as its hash.
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) FROM payment_retry_tokens WHERE token_hash = '{token}'"
        ))
        .await?,
        0
    );
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) FROM payment_retry_tokens WHERE token_hash = '{}'",
            shared::payments::retry_link::hash_token(&token)
        ))
        .await?,
        1
    );
    Ok(())
}

/// Drives one termination to `pending` (Razorpay's answers lost), returning its id.
async fn pending_termination(
    app: &TestApp,
) -> Result<(uuid::Uuid, String), Box<dyn std::error::Error + Send + Sync>> {
    let s = app.seed_enrollment(24000, 8, 3, 72.0).await?;
    for _ in 0..3 {
        app.razorpay
            .push_fault(Fault::DelayAfterRecording(Duration::from_millis(1200)));
    }
    let body = json!({ "enrollmentId": s.enrollment_id, "reason": "Family is relocating to another city" });
    let resp = app.post_refund(&body).await?;
    assert_eq!(resp.status(), 202);
    let v: Value = resp.json().await?;
    Ok((
        s.enrollment_id,
        v["termination"]["id"]
            .as_str()
            .unwrap_or_default()
            .to_string(),
    ))
}

async fn final_state(
    app: &TestApp,
    enrollment: uuid::Uuid,
) -> Result<(Vec<String>, String, Vec<String>), Box<dyn std::error::Error + Send + Sync>> {
    Ok((
        app.termination_status(enrollment).await?,
        app.enrollment_status(enrollment).await?,
        outbox_templates(app).await?,
    ))
}

#[tokio::test]
async fn refund_events_out_of_order_end_where_the_in_order_pass_ends() -> TestResult {
    // In order: created (pending), then processed.
    let in_order = TestApp::spawn().await?;
    let (e1, t1) = pending_termination(&in_order).await?;
    let rid = in_order.razorpay.refunds()[0].id.clone();
    for (i, (ev, st)) in [
        ("refund.created", "pending"),
        ("refund.processed", "processed"),
    ]
    .iter()
    .enumerate()
    {
        let r = in_order
            .post_webhook(&refund_event(ev, &rid, st, &t1), &format!("evt_{i}"), None)
            .await?;
        assert_eq!(r.status(), 200);
    }
    let expected = final_state(&in_order, e1).await?;
    assert_eq!(expected.0, vec!["completed"]);
    assert_eq!(expected.1, "terminated");
    assert_eq!(expected.2, vec!["refund_initiated", "refund_completed"]);

    // Shuffled: processed first, then created, then a stray failed, each twice.
    let shuffled = TestApp::spawn().await?;
    let (e2, t2) = pending_termination(&shuffled).await?;
    let rid = shuffled.razorpay.refunds()[0].id.clone();
    let events = [
        ("refund.processed", "processed", "a"),
        ("refund.created", "pending", "b"),
        ("refund.failed", "failed", "c"),
    ];
    for round in 0..2 {
        for (ev, st, id) in events {
            let r = shuffled
                .post_webhook(
                    &refund_event(ev, &rid, st, &t2),
                    &format!("evt_{id}_{round}"),
                    None,
                )
                .await?;
            assert_eq!(r.status(), 200);
        }
    }
    assert_eq!(final_state(&shuffled, e2).await?, expected);
    let stored: String = shuffled
        .db()
        .await?
        .query_one(
            "SELECT razorpay_refund_id FROM enrollment_terminations",
            &[],
        )
        .await?
        .get(0);
    assert_eq!(stored, rid);
    Ok(())
}

#[tokio::test]
async fn refund_failed_marks_failed_alerts_admin_and_leaves_the_enrollment() -> TestResult {
    let app = TestApp::spawn().await?;
    let (e, t) = pending_termination(&app).await?;
    let rid = app.razorpay.refunds()[0].id.clone();
    let r = app
        .post_webhook(
            &refund_event("refund.failed", &rid, "failed", &t),
            "evt_f",
            None,
        )
        .await?;
    assert_eq!(r.status(), 200);
    assert_eq!(app.termination_status(e).await?, vec!["failed"]);
    assert_eq!(app.enrollment_status(e).await?, "active");
    assert_eq!(outbox_templates(&app).await?, vec!["refund_failed_admin"]);

    // An event for a refund nobody knows is kept and acknowledged.
    let r = app
        .post_webhook(
            &refund_event(
                "refund.processed",
                "rfnd_unknown",
                "processed",
                "not-a-uuid",
            ),
            "evt_u",
            None,
        )
        .await?;
    assert_eq!(r.status(), 200);
    assert_eq!(r.json::<Value>().await?["status"], "unknown_refund");
    assert_eq!(
        app.count("SELECT COUNT(*) FROM webhook_events WHERE error IS NOT NULL")
            .await?,
        1
    );
    Ok(())
}

#[tokio::test]
async fn payment_failed_with_empty_notes_empty_errors_and_no_contact_is_handled() -> TestResult {
    let app = TestApp::spawn().await?;
    let mut body: Value = serde_json::from_slice(&payment_failed(
        "pay_D1",
        "order_D1",
        json!(null),
        json!(""),
        json!([]),
    ))?;
    let entity = &mut body["payload"]["payment"]["entity"];
    for f in ["error_code", "error_description"] {
        entity[f] = json!("");
    }
    for f in ["error_reason", "error_source", "error_step"] {
        entity[f] = Value::Null;
    }
    let bytes = body.to_string().into_bytes();
    // No contact on the payment and the order fetch finds nothing: recorded, nobody to tell.
    let r = app.post_webhook(&bytes, "evt_d1", None).await?;
    assert_eq!(r.status(), 200);
    assert_eq!(r.json::<Value>().await?["status"], "recorded_no_contact");
    assert_eq!(
        app.count(
            "SELECT COUNT(*) FROM failed_payments WHERE notified = FALSE AND error_code IS NULL"
        )
        .await?,
        1
    );
    assert_eq!(app.count("SELECT COUNT(*) FROM outbox").await?, 0);

    // The order's notes carry the contact: fetched once, and the parent hears of it.
    app.razorpay.add_order(json!({"id": "order_D2", "entity": "order", "amount": 24000, "currency": "INR", "status": "attempted",
        "notes": {"parentEmail": "meera@example.com", "parentPhone": "+919811111111", "childName": "Kabir", "parentName": "Meera Iyer"}}));
    let bytes = payment_failed("pay_D2", "order_D2", json!(""), json!(""), json!([]));
    let r = app.post_webhook(&bytes, "evt_d2", None).await?;
    assert_eq!(r.json::<Value>().await?["status"], "recorded_and_notified");
    let db = app.db().await?;
    let row = db.query_one("SELECT payload FROM outbox", &[]).await?;
    let payload: Value = row.get(0);
    assert_eq!(payload["data"]["childName"], "Kabir");
    assert_eq!(payload["recipient"]["email"], "meera@example.com");
    assert!(payload["data"]["reason"]
        .as_str()
        .unwrap_or_default()
        .contains("insufficient funds"));
    Ok(())
}

#[tokio::test]
async fn two_failures_on_one_order_record_both_and_notify_once() -> TestResult {
    let app = TestApp::spawn().await?;
    let notes = json!({"childName": "Kabir"});
    let a = payment_failed(
        "pay_E1",
        "order_E",
        json!("meera@example.com"),
        json!("+919811111111"),
        notes.clone(),
    );
    let b = payment_failed(
        "pay_E2",
        "order_E",
        json!("meera@example.com"),
        json!("+919811111111"),
        notes,
    );
    let (ra, rb) = tokio::join!(
        app.post_webhook(&a, "evt_e1", None),
        app.post_webhook(&b, "evt_e2", None)
    );
    assert_eq!(ra?.status(), 200);
    assert_eq!(rb?.status(), 200);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM failed_payments WHERE razorpay_order_id = 'order_E'")
            .await?,
        2
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM payment_retry_tokens")
            .await?,
        1
    );
    assert_eq!(outbox_templates(&app).await?, vec!["payment_failed"]);
    Ok(())
}

#[tokio::test]
async fn retry_link_valid_expired_used_and_garbage() -> TestResult {
    let app = TestApp::spawn().await?;
    let body = payment_failed(
        "pay_F1",
        "order_F1",
        json!("meera@example.com"),
        json!("+919811111111"),
        json!({"parentName": "Meera Iyer"}),
    );
    assert_eq!(app.post_webhook(&body, "evt_f1", None).await?.status(), 200);
    let token = retry_token(&app).await?;

    let r = app.get_retry(&token).await?;
    assert_eq!(r.status(), 200);
    let v: Value = r.json().await?;
    assert_eq!(
        v,
        json!({
            "order": {"id": "order_F1", "amount": 24000, "currency": "INR"},
            "prefill": {"name": "Meera Iyer", "email": "meera@example.com", "contact": "+919811111111"},
            "keyId": devtools::razorpay_sim::KEY_ID,
        })
    );

    assert_eq!(app.get_retry("garbage").await?.status(), 404);
    assert_eq!(
        app.get_retry(&shared::payments::retry_link::new_token().0)
            .await?
            .status(),
        404
    );
    assert_eq!(app.get_retry("").await?.status(), 404);

    // The clock moves past 24 hours.
    app.db()
        .await?
        .execute(
            "UPDATE payment_retry_tokens SET expires_at = NOW() - INTERVAL '1 second'",
            &[],
        )
        .await?;
    let r = app.get_retry(&token).await?;
    assert_eq!(r.status(), 410);
    assert_eq!(r.json::<Value>().await?["code"], "expired");
    app.db()
        .await?
        .execute(
            "UPDATE payment_retry_tokens SET expires_at = NOW() + INTERVAL '1 hour'",
            &[],
        )
        .await?;

    // The parent pays: the link is spent, the failure converted, the payment captured.
    app.db().await?.execute(
        "INSERT INTO payments (razorpay_order_id, amount, status) VALUES ('order_F1', 24000, 'created')", &[],
    ).await?;
    let r = app
        .post_webhook(
            &payment_captured("payment.captured", "pay_F2", "order_F1"),
            "evt_cap",
            None,
        )
        .await?;
    assert_eq!(r.status(), 200);
    let r = app.get_retry(&token).await?;
    assert_eq!(r.status(), 410);
    assert_eq!(r.json::<Value>().await?["code"], "used");
    assert_eq!(
        app.count("SELECT COUNT(*) FROM failed_payments WHERE converted_at IS NOT NULL")
            .await?,
        1
    );
    assert_eq!(app.count("SELECT COUNT(*) FROM payments WHERE razorpay_payment_id = 'pay_F2' AND status = 'captured' AND captured_at IS NOT NULL").await?, 1);

    // order.paid for the same capture changes nothing more.
    let r = app
        .post_webhook(
            &payment_captured("order.paid", "pay_F2", "order_F1"),
            "evt_paid",
            None,
        )
        .await?;
    assert_eq!(r.json::<Value>().await?["status"], "no_change");
    assert_eq!(app.count("SELECT COUNT(*) FROM payments").await?, 1);

    // A late failure on a paid order is recorded as converted, with no new link or notice.
    let late = payment_failed(
        "pay_F3",
        "order_F1",
        json!("meera@example.com"),
        json!("+919811111111"),
        json!([]),
    );
    let r = app.post_webhook(&late, "evt_late", None).await?;
    assert_eq!(r.json::<Value>().await?["status"], "recorded_already_paid");
    assert_eq!(
        app.count("SELECT COUNT(*) FROM payment_retry_tokens")
            .await?,
        1
    );
    Ok(())
}

#[tokio::test]
async fn other_events_are_stored_and_acknowledged() -> TestResult {
    let app = TestApp::spawn().await?;
    let body = br#"{"entity":"event","event":"payment.authorized","contains":["payment"],"payload":{"payment":{"entity":{"id":"pay_Z","notes":[]}}},"created_at":1}"#;
    let r = app.post_webhook(body, "evt_z", None).await?;
    assert_eq!(r.status(), 200);
    assert_eq!(r.json::<Value>().await?["status"], "ignored");
    assert_eq!(
        app.count("SELECT COUNT(*) FROM webhook_events WHERE event_type = 'payment.authorized'")
            .await?,
        1
    );
    Ok(())
}

#[tokio::test]
async fn with_sqs_down_the_webhook_still_answers_and_the_notice_waits_in_the_outbox() -> TestResult
{
    let app = TestApp::spawn_sqs_down().await?;
    let body = payment_failed(
        "pay_G1",
        "order_G1",
        json!("meera@example.com"),
        json!("+919811111111"),
        json!([]),
    );
    let r = app.post_webhook(&body, "evt_g1", None).await?;
    assert_eq!(r.status(), 200);
    assert_eq!(r.json::<Value>().await?["status"], "recorded_and_notified");
    assert_eq!(app.count("SELECT COUNT(*) FROM failed_payments").await?, 1);
    // Not lost: the notice is in the outbox, unpublished, for the relay.
    assert_eq!(
        app.count("SELECT COUNT(*) FROM outbox WHERE published_at IS NULL")
            .await?,
        1
    );
    let report = shared::notifications::relay::run_once(&app.ctx).await?;
    assert_eq!(report.published, 0);
    Ok(())
}

#[tokio::test]
async fn refund_processed_after_we_failed_it_is_adopted_and_an_admin_told() -> TestResult {
    let app = TestApp::spawn().await?;
    let (e, t) = pending_termination(&app).await?;
    let rid = app.razorpay.refunds()[0].id.clone();
    // We gave up on it (refund.failed of a stale read), then Razorpay says it was processed.
    app.post_webhook(
        &refund_event("refund.failed", &rid, "failed", &t),
        "evt_f1",
        None,
    )
    .await?;
    assert_eq!(app.termination_status(e).await?, vec!["failed"]);
    let r = app
        .post_webhook(
            &refund_event("refund.processed", &rid, "processed", &t),
            "evt_p1",
            None,
        )
        .await?;
    assert_eq!(r.status(), 200);
    assert_eq!(app.termination_status(e).await?, vec!["completed"]);
    assert_eq!(app.enrollment_status(e).await?, "terminated");
    assert_eq!(
        outbox_templates(&app).await?,
        vec![
            "refund_failed_admin",
            "refund_adopted_admin",
            "refund_initiated",
            "refund_completed"
        ]
    );
    // A late refund.created of the same refund changes nothing more.
    app.post_webhook(
        &refund_event("refund.created", &rid, "pending", &t),
        "evt_c1",
        None,
    )
    .await?;
    assert_eq!(app.termination_status(e).await?, vec!["completed"]);
    Ok(())
}

#[tokio::test]
async fn a_refund_made_by_hand_is_linked_to_the_one_waiting_termination_of_its_payment(
) -> TestResult {
    let app = TestApp::spawn().await?;
    let s = app.seed_enrollment(24000, 8, 3, 72.0).await?;
    app.razorpay.push_fault(Fault::Refuse(
        "Your account does not have enough balance to carry out the refund operation.".into(),
    ));
    let body = json!({ "enrollmentId": s.enrollment_id, "reason": "Family is relocating to another city" });
    assert_eq!(app.post_refund(&body).await?.status(), 502);
    assert_eq!(
        app.termination_status(s.enrollment_id).await?,
        vec!["failed"]
    );
    // The admin refunds by hand in Razorpay's dashboard: no notes of ours.
    let manual = |event: &str, status: &str| {
        json!({
            "entity": "event", "account_id": "acc_test", "event": event, "contains": ["refund"],
            "payload": { "refund": { "entity": {
                "id": "rfnd_byhand0001", "entity": "refund", "amount": 15000, "currency": "INR",
                "payment_id": s.payment_id, "notes": [], "status": status, "created_at": 1795500200
            }}},
            "created_at": 1795500201
        })
        .to_string()
        .into_bytes()
    };
    let r = app
        .post_webhook(&manual("refund.processed", "processed"), "evt_m1", None)
        .await?;
    assert_eq!(r.status(), 200);
    assert_eq!(
        app.termination_status(s.enrollment_id).await?,
        vec!["completed"]
    );
    let rid: Option<String> = app
        .db()
        .await?
        .query_one(
            "SELECT razorpay_refund_id FROM enrollment_terminations",
            &[],
        )
        .await?
        .get(0);
    assert_eq!(rid.as_deref(), Some("rfnd_byhand0001"));
    assert_eq!(app.enrollment_status(s.enrollment_id).await?, "terminated");
    Ok(())
}

#[tokio::test]
async fn capture_time_is_razorpays_not_the_late_deliverys() -> TestResult {
    let app = TestApp::spawn().await?;
    app.db()
        .await?
        .execute(
            "INSERT INTO payments (razorpay_order_id, amount, status) VALUES ('order_Late', 24000, 'created')",
            &[],
        )
        .await?;
    // Captured 20 hours ago; the webhook only gets through now (Razorpay retries for a day).
    let captured = chrono::Utc::now().timestamp() - 20 * 3600;
    let body = json!({
        "entity": "event", "account_id": "acc_test", "event": "payment.captured", "contains": ["payment"],
        "payload": { "payment": { "entity": {
            "id": "pay_Late1", "entity": "payment", "amount": 24000, "currency": "INR", "status": "captured",
            "order_id": "order_Late", "captured": true, "notes": [], "created_at": captured - 40
        }}},
        "created_at": captured
    })
    .to_string()
    .into_bytes();
    assert_eq!(
        app.post_webhook(&body, "evt_late", None).await?.status(),
        200
    );
    let at: chrono::DateTime<chrono::Utc> = app
        .db()
        .await?
        .query_one(
            "SELECT captured_at FROM payments WHERE razorpay_payment_id = 'pay_Late1'",
            &[],
        )
        .await?
        .get(0);
    assert_eq!(at.timestamp(), captured);
    Ok(())
}

/// The state a storm of payment events leaves: each failure and whether it was converted, each
/// captured payment, the retry tokens still live.
async fn payment_state(
    app: &TestApp,
) -> Result<(Vec<(String, bool)>, Vec<String>, i64), Box<dyn std::error::Error + Send + Sync>> {
    let db = app.db().await?;
    let failures = db
        .query(
            "SELECT razorpay_payment_id, converted_at IS NOT NULL FROM failed_payments ORDER BY 1",
            &[],
        )
        .await?
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect();
    let captured = db
        .query(
            "SELECT razorpay_payment_id FROM payments WHERE status = 'captured' ORDER BY 1",
            &[],
        )
        .await?
        .iter()
        .map(|r| r.get(0))
        .collect();
    let live = app
        .count("SELECT COUNT(*) FROM payment_retry_tokens WHERE used_at IS NULL")
        .await?;
    Ok((failures, captured, live))
}

#[tokio::test]
async fn a_capture_and_a_failure_of_one_order_at_once_never_leave_a_paid_parent_with_a_failure(
) -> TestResult {
    let app = TestApp::spawn().await?;
    let notes = json!({"childName": "Kabir"});
    for round in 0..5 {
        let calls = (0..40).map(|i| {
            let order = format!("order_R{round}x{i}");
            let failed = payment_failed(
                &format!("pay_F{round}x{i}"),
                &order,
                json!("meera@example.com"),
                json!("+919811111111"),
                notes.clone(),
            );
            let captured =
                payment_captured("payment.captured", &format!("pay_C{round}x{i}"), &order);
            let app = &app;
            let (fid, cid) = (format!("evt_f{round}x{i}"), format!("evt_c{round}x{i}"));
            async move {
                let (a, b) = tokio::join!(
                    app.post_webhook(&failed, &fid, None),
                    app.post_webhook(&captured, &cid, None)
                );
                Ok::<_, reqwest::Error>((a?.status().as_u16(), b?.status().as_u16()))
            }
        });
        for r in futures::future::join_all(calls).await {
            assert_eq!(r?, (200, 200));
        }
    }
    let (failures, captured, live) = payment_state(&app).await?;
    assert_eq!(failures.len(), 200);
    assert_eq!(captured.len(), 200);
    let unconverted: Vec<_> = failures.iter().filter(|(_, c)| !c).collect();
    assert!(
        unconverted.is_empty(),
        "paid but left failed: {unconverted:?}"
    );
    assert_eq!(live, 0, "a paid order has no live retry link");
    // A notice went out only for a failure decided before its capture, and then its link is
    // spent (checked above): one notice per notified failure, never more.
    let notices = app
        .count("SELECT COUNT(*) FROM outbox WHERE payload->>'template' = 'payment_failed'")
        .await?;
    let notified = app
        .count("SELECT COUNT(*) FROM failed_payments WHERE notified")
        .await?;
    assert_eq!(notices, notified);
    Ok(())
}

#[tokio::test]
async fn a_shuffled_storm_of_a_thousand_deliveries_ends_where_the_in_order_pass_ends() -> TestResult
{
    use futures::StreamExt;
    use rand::seq::SliceRandom;
    // 150 orders: some fail then pay, some fail twice then pay, some only fail, some only pay;
    // every event is delivered two or three times.
    let mut events: Vec<(String, Vec<u8>)> = Vec::new();
    let notes = json!({"childName": "Kabir"});
    for i in 0..150 {
        let order = format!("order_S{i}");
        let fail = |n: u32| {
            (
                format!("evt_sf{i}_{n}"),
                payment_failed(
                    &format!("pay_SF{i}_{n}"),
                    &order,
                    json!("meera@example.com"),
                    json!("+919811111111"),
                    notes.clone(),
                ),
            )
        };
        let pay = (
            format!("evt_sc{i}"),
            payment_captured("payment.captured", &format!("pay_SC{i}"), &order),
        );
        match i % 4 {
            0 => events.extend([fail(1), pay]),
            1 => events.extend([fail(1), fail(2), pay]),
            2 => events.push(fail(1)),
            _ => events.push(pay),
        }
    }
    let mut deliveries: Vec<(String, Vec<u8>)> = Vec::new();
    for (n, e) in events.iter().enumerate() {
        for _ in 0..(2 + n % 2) {
            deliveries.push(e.clone());
        }
    }
    assert!(deliveries.len() >= 600);

    let in_order = TestApp::spawn().await?;
    for (id, body) in &deliveries {
        assert_eq!(in_order.post_webhook(body, id, None).await?.status(), 200);
    }
    let storm = TestApp::spawn().await?;
    let mut shuffled = deliveries.clone();
    shuffled.shuffle(&mut rand::rng());
    let statuses: Vec<u16> = futures::stream::iter(shuffled.iter())
        .map(|(id, body)| {
            let storm = &storm;
            async move {
                storm
                    .post_webhook(body, id, None)
                    .await
                    .map(|r| r.status().as_u16())
                    .unwrap_or(0)
            }
        })
        .buffer_unordered(32)
        .collect()
        .await;
    assert!(statuses.iter().all(|s| *s == 200), "{statuses:?}");

    let (a, b) = (
        payment_state(&in_order).await?,
        payment_state(&storm).await?,
    );
    assert_eq!(a, b, "the storm must end where the in-order pass ends");
    assert_eq!(
        storm.count("SELECT COUNT(*) FROM webhook_events").await?,
        events.len() as i64,
        "each event once"
    );
    // Paid orders end converted; orders that only failed keep one live link each.
    assert_eq!(a.2, (0..150).filter(|i| i % 4 == 2).count() as i64);
    Ok(())
}
