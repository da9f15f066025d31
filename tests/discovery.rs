//! Cal.com discovery calls end to end: the signed webhook, ordering, dedupe and the linking rule
//! (backfill, webhook and the trigger on `children`), against a real database.
use crate::support;

use serde_json::{json, Value};
use support::{TestApp, TestResult};
use uuid::Uuid;

use support::CAL_SECRET;

async fn app() -> Result<TestApp, Box<dyn std::error::Error + Send + Sync>> {
    TestApp::spawn().await
}

fn body(trigger: &str, at: &str, payload: Value) -> Vec<u8> {
    json!({"triggerEvent": trigger, "createdAt": at, "payload": payload})
        .to_string()
        .into_bytes()
}

async fn post(
    app: &TestApp,
    body: &[u8],
    sig: Option<String>,
) -> reqwest::Result<reqwest::Response> {
    let mut req = app
        .http
        .post(format!("{}/webhooks/cal", app.base))
        .header("content-type", "application/json")
        .body(body.to_vec());
    if let Some(s) = sig {
        req = req.header("x-cal-signature-256", s);
    }
    req.send().await
}

async fn deliver(
    app: &TestApp,
    body: &[u8],
) -> Result<Value, Box<dyn std::error::Error + Send + Sync>> {
    let sig = shared::runtime::inbound::signature::sign(CAL_SECRET.as_bytes(), body);
    let r = post(app, body, Some(sig)).await?;
    assert_eq!(r.status(), 200);
    Ok(r.json().await?)
}

fn created(uid: &str, email: &str, child: &str, metadata: Value) -> Vec<u8> {
    body(
        "BOOKING_CREATED",
        "2026-11-20T10:00:00.000Z",
        json!({"uid": uid, "startTime": "2026-11-27T10:00:00Z", "endTime": "2026-11-27T10:30:00Z",
               "attendees": [{"email": email, "name": "Meera Iyer", "timeZone": "Asia/Kolkata"}],
               "responses": {"childName": {"label": "Child's name", "value": child}, "childAge": {"value": "7"}},
               "metadata": metadata}),
    )
}

/// (status, child id, link method, uid, previous uids, scheduled_at) of every call.
async fn calls(
    app: &TestApp,
) -> Result<
    Vec<(
        Option<String>,
        Option<Uuid>,
        Option<String>,
        String,
        Vec<String>,
        Option<chrono::DateTime<chrono::Utc>>,
    )>,
    Box<dyn std::error::Error + Send + Sync>,
> {
    Ok(app
        .db()
        .await?
        .query(
            "SELECT status, child_id, link_method, cal_booking_uid, previous_uids, scheduled_at FROM discovery_calls ORDER BY cal_booking_uid",
            &[],
        )
        .await?
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2), r.get(3), r.get(4), r.get(5)))
        .collect())
}

/// A parent with children; returns the children's ids in order.
async fn family(
    app: &TestApp,
    email: &str,
    phone: &str,
    children: &[&str],
) -> Result<Vec<Uuid>, Box<dyn std::error::Error + Send + Sync>> {
    let db = app.db().await?;
    let parent: Uuid = db
        .query_one(
            "INSERT INTO parents (user_id, name, email, phone) VALUES ($1, 'Meera Iyer', $2, $3) RETURNING id",
            &[&Uuid::new_v4(), &email, &phone],
        )
        .await?
        .get(0);
    let mut ids = Vec::new();
    for (i, name) in children.iter().enumerate() {
        let id: Uuid = db
            .query_one(
                "INSERT INTO children (parent_id, name, created_at) VALUES ($1, $2, NOW() - make_interval(days => $3)) RETURNING id",
                &[&parent, name, &(10 - i as i32)],
            )
            .await?
            .get(0);
        ids.push(id);
    }
    Ok(ids)
}

#[tokio::test]
async fn unsigned_forged_and_reserialised_deliveries_are_refused_and_nothing_stored() -> TestResult
{
    let app = app().await?;
    let b = created("u-sig", "meera@example.com", "Kabir", json!({}));
    // The known vector: HMAC-SHA256 of these exact bytes under the secret, lowercase hex.
    let good = {
        use hmac::{Hmac, KeyInit, Mac};
        let mut mac = Hmac::<sha2::Sha256>::new_from_slice(CAL_SECRET.as_bytes())?;
        mac.update(&b);
        hex::encode(mac.finalize().into_bytes())
    };
    assert_eq!(
        good,
        shared::runtime::inbound::signature::sign(CAL_SECRET.as_bytes(), &b)
    );
    let mut flipped = b.clone();
    flipped[10] ^= 1;
    let reserialised = serde_json::to_vec_pretty(&serde_json::from_slice::<Value>(&b)?)?;
    for (bytes, sig) in [
        (b.clone(), None),
        (b.clone(), Some("00".repeat(32))),
        (flipped, Some(good.clone())),
        (reserialised, Some(good.clone())),
    ] {
        assert_eq!(post(&app, &bytes, sig).await?.status(), 401);
    }
    assert_eq!(app.count("SELECT COUNT(*) FROM webhook_events").await?, 0);
    assert_eq!(app.count("SELECT COUNT(*) FROM discovery_calls").await?, 0);
    assert_eq!(post(&app, &b, Some(good)).await?.status(), 200);
    assert_eq!(app.count("SELECT COUNT(*) FROM discovery_calls").await?, 1);
    // Too large: 413 before the signature is even looked at.
    let big = vec![b'x'; 300 * 1024];
    assert_eq!(post(&app, &big, None).await?.status(), 413);
    Ok(())
}

#[tokio::test]
async fn the_same_delivery_twenty_times_at_once_makes_one_call() -> TestResult {
    let app = app().await?;
    let b = created("u-dup", "meera@example.com", "Kabir", json!({}));
    let calls_ = (0..20).map(|_| deliver(&app, &b));
    let answers: Vec<_> = futures::future::join_all(calls_).await;
    let statuses: Vec<String> = answers
        .into_iter()
        .map(|a| {
            a.map(|v| v["status"].as_str().unwrap_or_default().to_string())
                .unwrap_or_default()
        })
        .collect();
    assert_eq!(
        statuses.iter().filter(|s| *s == "created").count(),
        1,
        "{statuses:?}"
    );
    assert_eq!(
        statuses.iter().filter(|s| *s == "duplicate").count(),
        19,
        "{statuses:?}"
    );
    assert_eq!(app.count("SELECT COUNT(*) FROM discovery_calls").await?, 1);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM webhook_events WHERE provider = 'cal'")
            .await?,
        1
    );
    Ok(())
}

#[tokio::test]
async fn created_rescheduled_cancelled_in_every_order_end_in_the_same_state() -> TestResult {
    let events = [
        created("u1", "meera@example.com", "Kabir", json!({})),
        body(
            "BOOKING_RESCHEDULED",
            "2026-11-21T10:00:00.000Z",
            json!({"uid": "u2", "rescheduleUid": "u1", "startTime": "2026-11-28T11:00:00Z", "endTime": "2026-11-28T11:30:00Z",
                   "attendees": [{"email": "meera@example.com", "name": "Meera Iyer"}]}),
        ),
        body(
            "BOOKING_CANCELLED",
            "2026-11-22T10:00:00.000Z",
            json!({"uid": "u2", "startTime": "2026-11-28T11:00:00Z", "endTime": "2026-11-28T11:30:00Z"}),
        ),
    ];
    let orders = [
        [0, 1, 2],
        [0, 2, 1],
        [1, 0, 2],
        [1, 2, 0],
        [2, 0, 1],
        [2, 1, 0],
    ];
    let mut want = None;
    for order in orders {
        let app = app().await?;
        for i in order {
            deliver(&app, &events[i]).await?;
        }
        let got = calls(&app).await?;
        assert_eq!(got.len(), 1, "order {order:?}: {got:?}");
        match &want {
            None => {
                let (status, _, _, uid, previous, at) = &got[0];
                assert_eq!(status.as_deref(), Some("cancelled"));
                assert_eq!(uid, "u2");
                assert_eq!(previous, &vec!["u1".to_string()]);
                assert_eq!(
                    at.map(|t| t.to_rfc3339()).as_deref(),
                    Some("2026-11-28T11:00:00+00:00")
                );
                want = Some(got);
            }
            Some(w) => assert_eq!(&got, w, "order {order:?}"),
        }
    }
    Ok(())
}

#[tokio::test]
async fn a_reschedule_request_is_not_a_cancellation_and_ended_and_no_show_are_recorded(
) -> TestResult {
    let app = app().await?;
    deliver(
        &app,
        &created("u-rr", "meera@example.com", "Kabir", json!({})),
    )
    .await?;
    let asked = body(
        "BOOKING_CANCELLED",
        "2026-11-21T10:00:00.000Z",
        json!({"uid": "u-rr", "requestReschedule": true}),
    );
    deliver(&app, &asked).await?;
    let c = calls(&app).await?;
    assert_eq!(c[0].0.as_deref(), Some("scheduled"));
    assert_eq!(c[0].5, None, "times cleared until the new booking");
    deliver(
        &app,
        &created("u-end", "meera@example.com", "Kabir", json!({})),
    )
    .await?;
    deliver(
        &app,
        &body(
            "MEETING_ENDED",
            "2026-11-27T10:31:00.000Z",
            json!({"uid": "u-end"}),
        ),
    )
    .await?;
    deliver(
        &app,
        &created("u-ns", "meera@example.com", "Kabir", json!({})),
    )
    .await?;
    deliver(
        &app,
        &body(
            "BOOKING_NO_SHOW_UPDATED",
            "2026-11-27T10:40:00.000Z",
            json!({"bookingUid": "u-ns"}),
        ),
    )
    .await?;
    let c = calls(&app).await?;
    let status = |uid: &str| c.iter().find(|x| x.3 == uid).and_then(|x| x.0.clone());
    assert_eq!(status("u-end").as_deref(), Some("completed"));
    assert_eq!(status("u-ns").as_deref(), Some("no_show"));
    // A ping is stored and acknowledged, and makes no call.
    let v = deliver(
        &app,
        &body("PING", "2026-11-20T09:00:00.000Z", json!({"type": "Test"})),
    )
    .await?;
    assert_eq!(v["status"], "stored");
    assert_eq!(calls(&app).await?.len(), 3);
    Ok(())
}

#[tokio::test]
async fn calls_are_linked_by_metadata_name_email_phone_and_later_by_the_children_trigger(
) -> TestResult {
    let app = app().await?;
    let meera = family(
        &app,
        "meera@example.com",
        "+91 98111 11111",
        &["Kabir", "Anaya"],
    )
    .await?;
    let other = family(&app, "ravi@example.com", "+91 98222 22222", &["Ishaan"]).await?;
    // By metadata, naming Meera's younger child.
    deliver(
        &app,
        &created(
            "m1",
            "meera@example.com",
            "whoever",
            json!({"childId": meera[1]}),
        ),
    )
    .await?;
    // Metadata naming another family's child: ignored, linked by email and name instead.
    deliver(
        &app,
        &created(
            "m2",
            "  MEERA@example.COM ",
            "  kabir  ",
            json!({"childId": other[0]}),
        ),
    )
    .await?;
    // Email with no name match: the newest child.
    deliver(
        &app,
        &created("m3", "meera@example.com", "Someone Else", json!({})),
    )
    .await?;
    // Unknown email, the phone of Ravi's family.
    let by_phone = body(
        "BOOKING_CREATED",
        "2026-11-20T10:00:00.000Z",
        json!({"uid": "m4", "startTime": "2026-11-27T10:00:00Z",
               "attendees": [{"email": "ravi.work@example.org", "name": "Ravi"}],
               "responses": {"attendeePhoneNumber": {"value": "098222 22222"}, "childName": {"value": "Ishaan"}}}),
    );
    deliver(&app, &by_phone).await?;
    // Nobody we know yet.
    deliver(
        &app,
        &created("m5", "new.parent@example.com", "Zoya", json!({})),
    )
    .await?;
    let c = calls(&app).await?;
    let link = |uid: &str| {
        c.iter()
            .find(|x| x.3 == uid)
            .map(|x| (x.1, x.2.clone()))
            .unwrap_or_default()
    };
    assert_eq!(link("m1"), (Some(meera[1]), Some("metadata".into())));
    assert_eq!(link("m2"), (Some(meera[0]), Some("email_and_name".into())));
    assert_eq!(link("m3"), (Some(meera[1]), Some("email".into())));
    assert_eq!(link("m4"), (Some(other[0]), Some("phone".into())));
    assert_eq!(link("m5"), (None, None));

    // Another app creates the child with plain SQL: the trigger links the waiting call.
    let zoya: Uuid = app
        .db()
        .await?
        .query_one(
            "INSERT INTO children (name, parent_email) VALUES ('Zoya', ' New.Parent@example.com') RETURNING id",
            &[],
        )
        .await?
        .get(0);
    let c = calls(&app).await?;
    let m5 = c.iter().find(|x| x.3 == "m5").cloned().unwrap_or_default();
    assert_eq!(
        (m5.1, m5.2.as_deref()),
        (Some(zoya), Some("email_and_name"))
    );
    // …and never re-links a linked call (a new child in Meera's family changes nothing).
    app.db()
        .await?
        .execute(
            "INSERT INTO children (name, parent_email) VALUES ('Kabir', 'meera@example.com')",
            &[],
        )
        .await?;
    assert_eq!(
        calls(&app)
            .await?
            .iter()
            .filter(|x| x.3 == "m2")
            .map(|x| x.1)
            .next(),
        Some(Some(meera[0]))
    );

    // The report.
    let r = app
        .http
        .get(format!("{}/admin/discovery-calls/link-report", app.base))
        .bearer_auth(app.admin_token())
        .send()
        .await?;
    assert_eq!(r.status(), 200);
    let v: Value = r.json().await?;
    assert_eq!(v["total"], 5);
    assert_eq!(v["linked"], 5);
    assert_eq!(v["unlinked"], 0);
    assert_eq!(v["byMethod"]["email_and_name"], 2);
    assert_eq!(v["byMethod"]["metadata"], 1);
    assert_eq!(v["unlinkedSample"], json!([]));
    Ok(())
}

#[tokio::test]
async fn the_backfill_links_once_and_a_second_run_changes_nothing() -> TestResult {
    let app = app().await?;
    let kids = family(
        &app,
        "meera@example.com",
        "+91 98111 11111",
        &["Kabir", "Anaya"],
    )
    .await?;
    let db = app.db().await?;
    // Calls that arrived before any of this (as the seed's table had them).
    db.batch_execute(
        "ALTER TABLE children DISABLE TRIGGER trg_children_link_discovery_calls;
         INSERT INTO discovery_calls (parent_email, child_name, cal_booking_uid) VALUES
           (' Meera@Example.com', 'anaya', 'b1'), ('meera@example.com', NULL, 'b2'), ('x@y.z', 'Q', 'b3');
         ALTER TABLE children ENABLE TRIGGER trg_children_link_discovery_calls;",
    )
    .await?;
    let n = shared::discovery::store::link_unlinked(&db).await?;
    assert_eq!(n, 2);
    assert_eq!(shared::discovery::store::link_unlinked(&db).await?, 0);
    let c = calls(&app).await?;
    assert_eq!(c[0].1, Some(kids[1]));
    assert_eq!(c[1].1, Some(kids[1]), "no name: the newest child");
    assert_eq!(c[2].1, None);
    Ok(())
}
