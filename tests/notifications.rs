//! Notifications end to end: the preferences API over HTTP, the dispatcher against moto's SES
//! and a WhatsApp double, and the outbox relay against moto's SQS (and a closed port).
use crate::support;

use serde_json::{json, Value};
use std::time::Duration;
use support::{TestApp, TestResult};
use uuid::Uuid;
use wiremock::matchers::{body_partial_json, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const FROM: &str = "noreply@yestoryd.test";

async fn app_with_channels(
) -> Result<(TestApp, MockServer), Box<dyn std::error::Error + Send + Sync>> {
    let whatsapp = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/PNID/messages"))
        .and(body_partial_json(json!({ "to": "919800000666" })))
        .respond_with(
            ResponseTemplate::new(500)
                .set_body_json(json!({"error": {"message": "Service temporarily unavailable"}})),
        )
        .with_priority(1)
        .mount(&whatsapp)
        .await;
    Mock::given(method("POST"))
        .and(path("/PNID/messages"))
        .respond_with(ResponseTemplate::new(200).set_body_json(
            json!({"messaging_product": "whatsapp", "messages": [{"id": "wamid.TEST"}]}),
        ))
        .with_priority(5)
        .mount(&whatsapp)
        .await;
    let app = app_with_whatsapp(&whatsapp).await?;
    Ok((app, whatsapp))
}

/// The app with SES (moto, a verified sender) and WhatsApp at `whatsapp`.
async fn app_with_whatsapp(
    whatsapp: &MockServer,
) -> Result<TestApp, Box<dyn std::error::Error + Send + Sync>> {
    let uri = whatsapp.uri();
    let app = TestApp::spawn_with(move |c| {
        c.with("EMAIL_FROM", FROM)
            .with("ADMIN_ALERT_EMAIL", "alerts@yestoryd.test")
            .with("WHATSAPP_API_BASE", uri)
            .with("WHATSAPP_PHONE_NUMBER_ID", "PNID")
            .with("WHATSAPP_TOKEN", "wa-test-token")
    })
    .await?;
    // SES sends only from a verified identity, as the real service does.
    let conf = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
    aws_sdk_sesv2::Client::new(&conf)
        .create_email_identity()
        .email_identity(FROM)
        .send()
        .await?;
    Ok(app)
}

async fn parent(
    app: &TestApp,
    phone: &str,
    prefs: Value,
) -> Result<Uuid, Box<dyn std::error::Error + Send + Sync>> {
    let db = app.db().await?;
    Ok(db
        .query_one(
            "INSERT INTO parents (user_id, name, email, phone, notification_preferences)
             VALUES ($1, 'Meera', $2, $3, $4) RETURNING id",
            &[
                &Uuid::new_v4(),
                &format!("{}@example.com", Uuid::new_v4().simple()),
                &phone,
                &prefs,
            ],
        )
        .await?
        .get(0))
}

fn message(parent: Uuid, template: &str, category: &str) -> Value {
    json!({ "id": Uuid::new_v4(), "template": template, "category": category,
            "recipient": { "parentId": parent }, "data": { "childName": "Kabir", "refundAmount": 15000, "amount": 24000,
            "retryLink": "https://yestoryd.test/payment/retry?token=abc", "reason": "Bank down" } })
}

fn sqs_event(messages: &[Value]) -> Result<aws_lambda_events::sqs::SqsEvent, serde_json::Error> {
    let records: Vec<Value> = messages
        .iter()
        .enumerate()
        .map(|(i, m)| json!({ "messageId": format!("sqs-{i}"), "receiptHandle": "rh", "body": m.to_string(),
                               "attributes": {}, "messageAttributes": {}, "eventSource": "aws:sqs", "awsRegion": "ap-south-1" }))
        .collect();
    serde_json::from_value(json!({ "Records": records }))
}

async fn logs(
    app: &TestApp,
    message_id: &Value,
) -> Result<Vec<(String, String, Option<String>)>, Box<dyn std::error::Error + Send + Sync>> {
    let id = Uuid::parse_str(message_id.as_str().unwrap_or_default())?;
    let db = app.db().await?;
    Ok(db
        .query("SELECT channel, status, rule FROM communication_logs WHERE message_id = $1 ORDER BY channel", &[&id])
        .await?
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2)))
        .collect())
}

fn row(channel: &str, status: &str, rule: Option<&str>) -> (String, String, Option<String>) {
    (channel.into(), status.into(), rule.map(str::to_string))
}

#[tokio::test]
async fn preferences_get_put_and_validation() -> TestResult {
    let app = TestApp::spawn().await?;
    let a = app.seed_enrollment(1000, 1, 0, 1.0).await?;
    let b = app.seed_enrollment(1000, 1, 0, 1.0).await?;
    let url = format!("{}/parent/notification-preferences", app.base);
    let ta = app.parent_token(a.parent_user_id);
    let tb = app.parent_token(b.parent_user_id);

    let defaults = json!({"whatsapp": true, "email": true, "sms": false, "marketing": false,
                          "session_reminders": true, "progress_updates": true, "promotional": false});
    let got: Value = app
        .http
        .get(&url)
        .bearer_auth(&ta)
        .send()
        .await?
        .json()
        .await?;
    assert_eq!(got, defaults);

    let r = app
        .http
        .put(&url)
        .bearer_auth(&ta)
        .json(&json!({"whatsapp": false, "promotional": true}))
        .send()
        .await?;
    assert_eq!(r.status(), 200);
    let mut want = defaults.clone();
    want["whatsapp"] = json!(false);
    want["promotional"] = json!(true);
    assert_eq!(r.json::<Value>().await?, want);
    assert_eq!(
        app.http
            .get(&url)
            .bearer_auth(&ta)
            .send()
            .await?
            .json::<Value>()
            .await?,
        want
    );
    // Another parent's settings are untouched: nobody edits anyone else's.
    assert_eq!(
        app.http
            .get(&url)
            .bearer_auth(&tb)
            .send()
            .await?
            .json::<Value>()
            .await?,
        defaults
    );

    for (body, field) in [
        (json!({"telegram": true}), "telegram"),
        (json!({"email": "yes"}), "email"),
        (json!(["email"]), "body"),
        (json!("email"), "body"),
    ] {
        let r = app
            .http
            .put(&url)
            .bearer_auth(&ta)
            .json(&body)
            .send()
            .await?;
        assert_eq!(r.status(), 400, "{body}");
        let e: Value = r.json().await?;
        assert!(e["details"]["fields"][field].is_string(), "{body}: {e}");
    }
    assert_eq!(
        app.http
            .get(&url)
            .bearer_auth(&ta)
            .send()
            .await?
            .json::<Value>()
            .await?,
        want,
        "a refused PUT changes nothing"
    );
    assert_eq!(app.http.get(&url).send().await?.status(), 401);
    assert_eq!(
        app.http
            .get(&url)
            .bearer_auth(app.admin_token())
            .send()
            .await?
            .status(),
        403
    );
    Ok(())
}

#[tokio::test]
async fn transactional_with_every_channel_off_goes_by_email_and_promotional_needs_consent(
) -> TestResult {
    let (app, whatsapp) = app_with_channels().await?;
    let off = parent(
        &app,
        "+919800000001",
        json!({"email": false, "whatsapp": false, "sms": false}),
    )
    .await?;
    let m1 = message(off, "refund_initiated", "transactional");
    let no_marketing = parent(
        &app,
        "+919800000002",
        json!({"promotional": true, "marketing": false}),
    )
    .await?;
    let m2 = message(no_marketing, "refund_completed", "promotional");
    let resp = shared::notifications::dispatch::handle_batch(
        &app.ctx,
        sqs_event(&[m1.clone(), m2.clone()])?,
    )
    .await;
    assert!(resp.batch_item_failures.is_empty());
    assert_eq!(
        logs(&app, &m1["id"]).await?,
        vec![
            row("email", "sent", None),
            row("sms", "skipped", Some("channel_sms_off")),
            row("whatsapp", "skipped", Some("channel_whatsapp_off"))
        ]
    );
    assert_eq!(
        logs(&app, &m2["id"]).await?,
        vec![
            row("email", "skipped", Some("no_marketing_consent")),
            row("sms", "skipped", Some("no_marketing_consent")),
            row("whatsapp", "skipped", Some("no_marketing_consent"))
        ]
    );
    assert!(whatsapp
        .received_requests()
        .await
        .unwrap_or_default()
        .is_empty());
    Ok(())
}

#[tokio::test]
async fn category_and_channel_switches_through_the_database() -> TestResult {
    let (app, _wa) = app_with_channels().await?;
    let cases = [
        (
            "session_reminders",
            json!({"session_reminders": false}),
            vec![
                ("email", "skipped", Some("topic_session_reminders_off")),
                ("whatsapp", "skipped", Some("topic_session_reminders_off")),
            ],
        ),
        (
            "progress_updates",
            json!({"email": false}),
            vec![
                ("email", "skipped", Some("channel_email_off")),
                ("whatsapp", "sent", None),
            ],
        ),
        (
            "transactional",
            json!({"session_reminders": false, "whatsapp": false}),
            vec![
                ("email", "sent", None),
                ("whatsapp", "skipped", Some("channel_whatsapp_off")),
            ],
        ),
        (
            "promotional",
            json!({"marketing": true, "promotional": true, "email": false}),
            vec![
                ("email", "skipped", Some("channel_email_off")),
                ("whatsapp", "sent", None),
            ],
        ),
    ];
    for (category, prefs, want) in cases {
        let p = parent(&app, "+919800000010", prefs).await?;
        let m = message(p, "refund_completed", category);
        let resp = shared::notifications::dispatch::handle_batch(
            &app.ctx,
            sqs_event(std::slice::from_ref(&m))?,
        )
        .await;
        assert!(resp.batch_item_failures.is_empty(), "{category}");
        let got: Vec<_> = logs(&app, &m["id"])
            .await?
            .into_iter()
            .filter(|r| r.0 != "sms")
            .collect();
        let want: Vec<_> = want.into_iter().map(|(c, s, r)| row(c, s, r)).collect();
        assert_eq!(got, want, "{category}");
    }
    Ok(())
}

#[tokio::test]
async fn a_whatsapp_failure_retries_only_that_message_and_nothing_is_sent_twice() -> TestResult {
    let (app, whatsapp) = app_with_channels().await?;
    let ok1 = parent(&app, "+919800000101", json!({})).await?;
    let bad = parent(&app, "+919800000666", json!({})).await?;
    let ok2 = parent(&app, "+919800000102", json!({})).await?;
    let batch = [
        message(ok1, "payment_failed", "transactional"),
        message(bad, "payment_failed", "transactional"),
        message(ok2, "payment_failed", "transactional"),
    ];
    let resp = shared::notifications::dispatch::handle_batch(&app.ctx, sqs_event(&batch)?).await;
    let failed: Vec<String> = resp
        .batch_item_failures
        .iter()
        .map(|f| f.item_identifier.clone())
        .collect();
    assert_eq!(failed, vec!["sqs-1"]);
    assert_eq!(
        whatsapp.received_requests().await.unwrap_or_default().len(),
        3
    );
    let emails_sent = app
        .count(
            "SELECT COUNT(*) FROM communication_logs WHERE channel = 'email' AND status = 'sent'",
        )
        .await?;
    assert_eq!(emails_sent, 3);
    let failed_row: String = app
        .db()
        .await?
        .query_one(
            "SELECT error FROM communication_logs WHERE status = 'failed'",
            &[],
        )
        .await?
        .get(0);
    assert!(failed_row.contains("500"));

    // SQS redelivers the whole batch (as it would after a crash): only the failed channel goes again.
    let resp = shared::notifications::dispatch::handle_batch(&app.ctx, sqs_event(&batch)?).await;
    assert_eq!(resp.batch_item_failures.len(), 1);
    assert_eq!(
        whatsapp.received_requests().await.unwrap_or_default().len(),
        4,
        "only the failed WhatsApp is retried"
    );
    assert_eq!(
        app.count(
            "SELECT COUNT(*) FROM communication_logs WHERE channel = 'email' AND status = 'sent'"
        )
        .await?,
        3
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM communication_logs").await?,
        9
    );
    Ok(())
}

#[tokio::test]
async fn admin_alerts_go_to_the_alert_address_only() -> TestResult {
    let (app, whatsapp) = app_with_channels().await?;
    let m = json!({"id": Uuid::new_v4(), "template": "refund_failed_admin", "category": "transactional",
                   "recipient": {"admin": true}, "data": {"terminationId": "t1", "refundAmount": 15000, "reason": "Bank down"}});
    let resp = shared::notifications::dispatch::handle_batch(
        &app.ctx,
        sqs_event(std::slice::from_ref(&m))?,
    )
    .await;
    assert!(resp.batch_item_failures.is_empty());
    let db = app.db().await?;
    let r = db
        .query_one(
            "SELECT recipient, provider_message_id FROM communication_logs WHERE channel = 'email'",
            &[],
        )
        .await?;
    assert_eq!(r.get::<_, String>(0), "alerts@yestoryd.test");
    assert!(
        !r.get::<_, Option<String>>(1).unwrap_or_default().is_empty(),
        "SES gave a message id"
    );
    assert!(whatsapp
        .received_requests()
        .await
        .unwrap_or_default()
        .is_empty());
    Ok(())
}

#[tokio::test]
async fn relay_keeps_rows_while_sqs_is_down_then_publishes_each_once() -> TestResult {
    let app = TestApp::spawn().await?;
    let db = app.db().await?;
    for i in 0..30 {
        db.execute(
            "INSERT INTO outbox (topic, payload) VALUES ('notifications', jsonb_build_object('id', gen_random_uuid(), 'n', $1::INT))",
            &[&i],
        )
        .await?;
    }
    // SQS is down: a client whose endpoint is a closed port.
    let dead = shared::clients::aws::sqs::Sqs::new(
        shared::clients::aws::Aws::from_env()?.with_endpoint("http://127.0.0.1:9"),
    );
    let config = app.ctx.config.clone();
    let down = shared::functions::context(config.clone(), 4)
        .await?
        .with_publisher(shared::runtime::outbox::Publisher::new(
            Some(dead),
            Some(app.queue_url.clone()),
            None,
        ));
    let report = shared::notifications::relay::run_once(&down).await?;
    assert_eq!(report.published, 0);
    assert!(report.failed > 0);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM outbox WHERE published_at IS NULL")
            .await?,
        30
    );
    assert!(
        app.count("SELECT COUNT(*) FROM outbox WHERE last_error IS NOT NULL")
            .await?
            > 0
    );

    // Back up, and the backoff has passed: two relays at once publish every row exactly once.
    db.execute("UPDATE outbox SET next_attempt_at = NOW()", &[])
        .await?;
    let other = shared::functions::context(config, 4).await?;
    let (a, b) = tokio::join!(
        shared::notifications::relay::run_once(&app.ctx),
        shared::notifications::relay::run_once(&other)
    );
    assert_eq!(a?.published + b?.published, 30);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM outbox WHERE published_at IS NULL")
            .await?,
        0
    );
    let msgs = app.queue_messages(31).await?;
    assert_eq!(msgs.len(), 30);
    let mut ns: Vec<i64> = msgs.iter().filter_map(|m| m["n"].as_i64()).collect();
    ns.sort();
    assert_eq!(ns, (0..30).collect::<Vec<i64>>());
    Ok(())
}

#[tokio::test]
async fn the_dispatcher_writes_the_retry_link_at_send_time_and_the_same_one_on_redelivery(
) -> TestResult {
    let (app, whatsapp) = app_with_channels().await?;
    let p = parent(&app, "+919800000201", json!({})).await?;
    let failed_id = Uuid::new_v4();
    let msg = json!({ "id": Uuid::new_v4(), "template": "payment_failed", "category": "transactional",
        "recipient": { "parentId": p },
        "data": { "childName": "Kabir", "amount": 24000, "reason": "Bank down", "failedPaymentId": failed_id } });
    let link = format!(
        "https://yestoryd.test/payment/retry?token={}",
        shared::payments::retry_link::link_token(support::RETRY_LINK_SECRET.as_bytes(), failed_id)
    );
    let resp = shared::notifications::dispatch::handle_batch(
        &app.ctx,
        sqs_event(std::slice::from_ref(&msg))?,
    )
    .await;
    assert!(resp.batch_item_failures.is_empty());
    let bodies = |reqs: Vec<wiremock::Request>| -> Vec<String> {
        reqs.iter()
            .map(|r| String::from_utf8_lossy(&r.body).into_owned())
            .collect()
    };
    let sent = bodies(whatsapp.received_requests().await.unwrap_or_default());
    assert_eq!(sent.len(), 1);
    assert!(sent[0].contains(&link), "{}", sent[0]);
    // The same message redelivered with another id (a second copy) gets the same link.
    let mut again = msg.clone();
    again["id"] = json!(Uuid::new_v4());
    shared::notifications::dispatch::handle_batch(&app.ctx, sqs_event(&[again])?).await;
    let sent = bodies(whatsapp.received_requests().await.unwrap_or_default());
    assert_eq!(sent.len(), 2);
    assert!(sent[1].contains(&link));
    Ok(())
}

#[tokio::test]
async fn the_relay_deletes_rows_published_over_a_week_ago_and_nothing_else() -> TestResult {
    let app = TestApp::spawn().await?;
    let db = app.db().await?;
    for (n, published) in [
        (1, Some("8 days")),
        (2, Some("30 days")),
        (3, Some("6 days")),
        (4, None),
    ] {
        db.execute(
            "INSERT INTO outbox (topic, payload, created_at, published_at, next_attempt_at)
             VALUES ('notifications', jsonb_build_object('id', gen_random_uuid(), 'n', $1::INT),
                     NOW() - INTERVAL '40 days', NOW() - $2::TEXT::INTERVAL, NOW() + INTERVAL '1 hour')",
            &[&n, &published],
        )
        .await?;
    }
    let report = shared::notifications::relay::run_once(&app.ctx).await?;
    assert_eq!(report.deleted, 2);
    let left: Vec<i32> = db
        .query("SELECT (payload->>'n')::INT FROM outbox ORDER BY 1", &[])
        .await?
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(
        left,
        vec![3, 4],
        "a week's published rows and the unpublished one stay"
    );
    Ok(())
}

#[tokio::test]
async fn a_batch_with_one_slow_provider_answers_before_the_deadline_and_retries_only_that_one(
) -> TestResult {
    let whatsapp = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/PNID/messages"))
        .and(body_partial_json(json!({ "to": "919800000777" })))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"messages": [{"id": "wamid.SLOW"}]}))
                .set_delay(Duration::from_secs(30)),
        )
        .with_priority(1)
        .mount(&whatsapp)
        .await;
    Mock::given(method("POST"))
        .and(path("/PNID/messages"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"messages": [{"id": "wamid.OK"}]}))
                .set_delay(Duration::from_millis(300)),
        )
        .with_priority(5)
        .mount(&whatsapp)
        .await;
    let app = app_with_whatsapp(&whatsapp).await?;
    let slow = parent(&app, "+919800000777", json!({})).await?;
    let mut batch = vec![message(slow, "refund_completed", "transactional")];
    for n in 0..6 {
        let p = parent(&app, &format!("+91980000030{n}"), json!({})).await?;
        batch.push(message(p, "refund_completed", "transactional"));
    }
    let started = std::time::Instant::now();
    let stop = started + Duration::from_secs(4);
    let resp = shared::notifications::dispatch::handle_batch_until(
        &app.ctx,
        sqs_event(&batch)?,
        Some(stop),
    )
    .await;
    let took = started.elapsed();
    let failed: Vec<String> = resp
        .batch_item_failures
        .iter()
        .map(|f| f.item_identifier.clone())
        .collect();
    assert_eq!(failed, vec!["sqs-0"], "only the slow one comes back");
    assert!(took < Duration::from_secs(6), "answered after {took:?}");
    // The six others went out beside the slow one (one at a time they would wait behind it
    // until the deadline and come back too).
    assert_eq!(
        app.count("SELECT COUNT(*) FROM communication_logs WHERE channel = 'whatsapp' AND status = 'sent'")
            .await?,
        6
    );
    Ok(())
}
