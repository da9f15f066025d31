//! Rescheduling end to end against a real database and moto's SQS: the slot list in the
//! parent's zone, the reschedule's refusals in order, the limit and the no-overlap rule under
//! concurrent requests, idempotency keys, and calendar-sync against a local double of Google's
//! token and Calendar endpoints.
use crate::support;

use chrono::{DateTime, Duration, NaiveTime, TimeZone, Utc};
use serde_json::{json, Value};
use support::{TestApp, TestResult};
use tokio_postgres::Client;
use uuid::Uuid;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

type E = Box<dyn std::error::Error + Send + Sync>;

struct Family {
    parent_user: Uuid,
    enrollment: Uuid,
    session: Uuid,
}

async fn coach(db: &Client, zone: &str) -> Result<Uuid, E> {
    let id: Uuid = db
        .query_one(
            "INSERT INTO coaches (name, email, timezone) VALUES ('Coach', 'coach@example.com', $1) RETURNING id",
            &[&zone],
        )
        .await?
        .get(0);
    // Every day, 08:00–20:00 in the coach's zone.
    for weekday in 1i16..=7 {
        db.execute(
            "INSERT INTO coach_availability (coach_id, weekday, start_time, end_time) VALUES ($1, $2, '08:00', '20:00')",
            &[&id, &weekday],
        )
        .await?;
    }
    Ok(id)
}

async fn family(db: &Client, coach: Uuid, at: DateTime<Utc>, status: &str) -> Result<Family, E> {
    let parent_user = Uuid::new_v4();
    let parent: Uuid = db
        .query_one(
            "INSERT INTO parents (user_id, name, email) VALUES ($1, 'Parent', 'parent@example.com') RETURNING id",
            &[&parent_user],
        )
        .await?
        .get(0);
    let child: Uuid = db
        .query_one(
            "INSERT INTO children (parent_id, name, status) VALUES ($1, 'Kid', 'enrolled') RETURNING id",
            &[&parent],
        )
        .await?
        .get(0);
    let enrollment: Uuid = db
        .query_one(
            "INSERT INTO enrollments (child_id, parent_id, coach_id, status, sessions_total) VALUES ($1, $2, $3, 'active', 8) RETURNING id",
            &[&child, &parent, &coach],
        )
        .await?
        .get(0);
    let session: Uuid = db
        .query_one(
            "INSERT INTO scheduled_sessions (enrollment_id, child_id, coach_id, session_type, scheduled_time, duration_minutes, status, google_event_id)
             VALUES ($1, $2, $3, 'coaching', $4, 45, $5, 'evt-' || gen_random_uuid()) RETURNING id",
            &[&enrollment, &child, &coach, &at, &status],
        )
        .await?
        .get(0);
    Ok(Family {
        parent_user,
        enrollment,
        session,
    })
}

/// `days` from today at `hh:mm` in Asia/Kolkata.
fn ist(days: i64, hh: u32, mm: u32) -> DateTime<Utc> {
    let zone = chrono_tz::Asia::Kolkata;
    let date = Utc::now().with_timezone(&zone).date_naive() + Duration::days(days);
    let local = date.and_time(NaiveTime::from_hms_opt(hh, mm, 0).unwrap_or_default());
    zone.from_local_datetime(&local)
        .single()
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or_default()
}

async fn reschedule(
    app: &TestApp,
    f: &Family,
    body: &Value,
    key: Option<&str>,
) -> Result<(u16, Value), E> {
    let mut req = app
        .http
        .post(format!(
            "{}/parent/sessions/{}/reschedule",
            app.base, f.session
        ))
        .bearer_auth(app.parent_token(f.parent_user))
        .json(body);
    if let Some(k) = key {
        req = req.header("idempotency-key", k);
    }
    let r = req.send().await?;
    Ok((r.status().as_u16(), r.json().await?))
}

fn to(t: DateTime<Utc>) -> Value {
    json!({ "newDateTime": t.with_timezone(&chrono_tz::Asia::Kolkata).to_rfc3339() })
}

#[tokio::test]
async fn slots_come_in_the_parents_zone_and_only_for_their_own_sessions() -> TestResult {
    let app = TestApp::spawn().await?;
    let db = app.db().await?;
    let c = coach(&db, "Asia/Kolkata").await?;
    let f = family(&db, c, ist(5, 10, 0), "scheduled").await?;
    // Another child's session of the coach at day 6, 10:00 IST, and a day off on day 7.
    let other = family(&db, c, ist(6, 10, 0), "scheduled").await?;
    db.execute(
        "INSERT INTO coach_time_off (coach_id, starts_at, ends_at) VALUES ($1, $2, $3)",
        &[&c, &ist(7, 0, 0), &ist(8, 0, 0)],
    )
    .await?;
    let week = (Utc::now() + Duration::days(4))
        .with_timezone(&chrono_tz::America::New_York)
        .date_naive();
    let url = format!(
        "{}/parent/sessions/{}/available-slots?timeZone=America/New_York&weekStart={week}",
        app.base, f.session
    );
    let r = app
        .http
        .get(&url)
        .bearer_auth(app.parent_token(f.parent_user))
        .send()
        .await?;
    assert_eq!(r.status().as_u16(), 200);
    let answer: Value = r.json().await?;
    assert_eq!(answer["timeZone"], "America/New_York");
    assert_eq!(answer["reschedulable"], true);
    let starts: Vec<DateTime<Utc>> = answer["slots"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|s| s["start"].as_str())
        .filter_map(|s| DateTime::parse_from_rfc3339(s).ok())
        .map(|d| d.with_timezone(&Utc))
        .collect();
    assert!(!starts.is_empty());
    for s in answer["slots"].as_array().into_iter().flatten() {
        let start = s["start"].as_str().unwrap_or_default();
        assert!(
            start.ends_with("-05:00") || start.ends_with("-04:00"),
            "{start}"
        );
    }
    assert!(starts.windows(2).all(|w| w[0] < w[1]), "ascending");
    // Not the current time, not overlapping the other child's session, nothing on the day off.
    assert!(!starts.contains(&ist(5, 10, 0)));
    for t in &starts {
        let end = *t + Duration::minutes(45);
        assert!(
            !(*t < ist(6, 10, 45) && ist(6, 10, 0) < end),
            "{t} overlaps"
        );
        assert!(
            !(*t >= ist(7, 0, 0) && *t < ist(8, 0, 0)),
            "{t} on the day off"
        );
    }
    assert!(starts.contains(&ist(6, 9, 0)) && starts.contains(&ist(6, 11, 0)));

    // Bad zone → 400; someone else's session → 404; no token → 401; an admin is not a parent → 403.
    let bad = app
        .http
        .get(format!(
            "{}/parent/sessions/{}/available-slots?timeZone=Mars/Olympus",
            app.base, f.session
        ))
        .bearer_auth(app.parent_token(f.parent_user))
        .send()
        .await?;
    assert_eq!(bad.status().as_u16(), 400);
    let theirs = app
        .http
        .get(format!(
            "{}/parent/sessions/{}/available-slots",
            app.base, other.session
        ))
        .bearer_auth(app.parent_token(f.parent_user))
        .send()
        .await?;
    assert_eq!(theirs.status().as_u16(), 404);
    let url = format!("{}/parent/sessions/{}/available-slots", app.base, f.session);
    assert_eq!(app.http.get(&url).send().await?.status().as_u16(), 401);
    assert_eq!(
        app.http
            .get(&url)
            .bearer_auth(app.admin_token())
            .send()
            .await?
            .status()
            .as_u16(),
        403
    );
    // A session that cannot move: 200, not reschedulable, no slots.
    db.execute(
        "UPDATE scheduled_sessions SET status = 'completed' WHERE id = $1",
        &[&f.session],
    )
    .await?;
    let answer: Value = app
        .http
        .get(&url)
        .bearer_auth(app.parent_token(f.parent_user))
        .send()
        .await?
        .json()
        .await?;
    assert_eq!(
        (
            answer["reschedulable"].clone(),
            answer["reason"].clone(),
            answer["slots"].clone()
        ),
        (json!(false), json!("not_reschedulable"), json!([]))
    );
    Ok(())
}

#[tokio::test]
async fn a_reschedule_moves_the_session_counts_it_and_queues_three_messages() -> TestResult {
    let app = TestApp::spawn().await?;
    let db = app.db().await?;
    let c = coach(&db, "Asia/Kolkata").await?;
    let f = family(&db, c, ist(5, 10, 0), "scheduled").await?;
    let (status, answer) = reschedule(&app, &f, &json!({"newDateTime": ist(6, 15, 30).with_timezone(&chrono_tz::Asia::Kolkata).to_rfc3339(), "reason": "School trip"}), None).await?;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["reschedulesUsed"], 1);
    assert_eq!(answer["reschedulesLeft"], 1);
    assert_eq!(answer["session"]["status"], "scheduled");
    assert!(answer["session"]["scheduledTime"]
        .as_str()
        .is_some_and(|s| s.ends_with("+05:30")));
    let row = db
        .query_one(
            "SELECT s.scheduled_time, s.rescheduled_from, s.rescheduled_by, e.reschedules_used,
                    (SELECT count(*) FROM session_reschedules r WHERE r.session_id = s.id)
             FROM scheduled_sessions s JOIN enrollments e ON e.id = s.enrollment_id WHERE s.id = $1",
            &[&f.session],
        )
        .await?;
    assert_eq!(row.get::<_, DateTime<Utc>>(0), ist(6, 15, 30));
    assert_eq!(row.get::<_, Option<DateTime<Utc>>>(1), Some(ist(5, 10, 0)));
    assert_eq!(row.get::<_, Option<String>>(2).as_deref(), Some("parent"));
    assert_eq!((row.get::<_, i32>(3), row.get::<_, i64>(4)), (1, 1));
    let topics: Vec<(String, Option<String>)> = db
        .query(
            "SELECT topic, payload->>'template' FROM outbox ORDER BY topic, 2",
            &[],
        )
        .await?
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect();
    assert_eq!(
        topics,
        vec![
            ("calendar".to_string(), None),
            (
                "notifications".to_string(),
                Some("session_rescheduled_coach".to_string())
            ),
            (
                "notifications".to_string(),
                Some("session_rescheduled_parent".to_string())
            ),
        ]
    );
    let sqs = support::sqs_client().await;
    let got = sqs
        .receive_message()
        .queue_url(&app.calendar_queue_url)
        .wait_time_seconds(2)
        .send()
        .await?;
    let body: Value = serde_json::from_str(
        got.messages()
            .first()
            .and_then(|m| m.body())
            .unwrap_or("null"),
    )?;
    assert_eq!(body["sessionId"], json!(f.session));
    Ok(())
}

#[tokio::test]
async fn refusals_come_in_order() -> TestResult {
    let app = TestApp::spawn().await?;
    let db = app.db().await?;
    let c = coach(&db, "Asia/Kolkata").await?;
    let ok_slot = to(ist(6, 9, 0));

    // Someone else's session is 404 even with a bad body; a bad body on one's own is 400.
    let mine = family(&db, c, ist(5, 10, 0), "scheduled").await?;
    let other = family(&db, c, ist(5, 12, 0), "scheduled").await?;
    let stranger = Family {
        parent_user: mine.parent_user,
        enrollment: other.enrollment,
        session: other.session,
    };
    assert_eq!(
        reschedule(&app, &stranger, &json!({"nope": 1}), None)
            .await?
            .0,
        404
    );
    let long = "x".repeat(501);
    let (status, answer) = reschedule(
        &app,
        &mine,
        &json!({"newDateTime": "2026-12-01T10:00:00+05:30", "reason": long}),
        None,
    )
    .await?;
    assert_eq!(status, 400);
    assert!(
        answer["details"]["fields"]["reason"].is_string(),
        "{answer}"
    );
    let (status, answer) =
        reschedule(&app, &mine, &json!({"newDateTime": "tomorrow"}), None).await?;
    assert_eq!(
        (
            status,
            answer["details"]["fields"]["newDateTime"].is_string()
        ),
        (400, true)
    );

    let code = |r: (u16, Value)| (r.0, r.1["code"].as_str().unwrap_or_default().to_string());
    let done = family(&db, c, ist(4, 10, 0), "completed").await?;
    assert_eq!(
        code(reschedule(&app, &done, &ok_slot, None).await?),
        (409, "not_reschedulable".into())
    );
    let soon = family(&db, c, Utc::now() + Duration::hours(20), "scheduled").await?;
    assert_eq!(
        code(reschedule(&app, &soon, &ok_slot, None).await?),
        (409, "too_late".into())
    );
    let used = family(&db, c, ist(3, 10, 0), "scheduled").await?;
    db.execute(
        "UPDATE enrollments SET reschedules_used = 2 WHERE id = $1",
        &[&used.enrollment],
    )
    .await?;
    assert_eq!(
        code(reschedule(&app, &used, &ok_slot, None).await?),
        (409, "reschedule_limit_reached".into())
    );
    // Off the grid, outside the hours, in the notice, onto another session, onto itself.
    for t in [
        ist(6, 9, 10),
        ist(6, 21, 0),
        Utc::now() + Duration::hours(2),
        ist(5, 12, 0),
        ist(5, 10, 0),
    ] {
        assert_eq!(
            code(reschedule(&app, &mine, &to(t), None).await?),
            (409, "slot_unavailable".into()),
            "{t}"
        );
    }
    db.execute(
        "UPDATE enrollments SET status = 'terminated' WHERE id = $1",
        &[&mine.enrollment],
    )
    .await?;
    assert_eq!(
        code(reschedule(&app, &mine, &ok_slot, None).await?),
        (409, "not_reschedulable".into())
    );
    assert_eq!(
        app.count("SELECT count(*) FROM session_reschedules")
            .await?,
        0
    );
    Ok(())
}

#[tokio::test]
async fn an_idempotency_key_replays_the_answer_and_moves_once() -> TestResult {
    let app = TestApp::spawn().await?;
    let db = app.db().await?;
    let c = coach(&db, "Asia/Kolkata").await?;
    let f = family(&db, c, ist(5, 10, 0), "scheduled").await?;
    let first = reschedule(&app, &f, &to(ist(6, 9, 0)), Some("move-1")).await?;
    let again = reschedule(&app, &f, &to(ist(6, 9, 0)), Some("move-1")).await?;
    assert_eq!(first.0, 200);
    assert_eq!(first, again);
    let other = reschedule(&app, &f, &to(ist(6, 11, 0)), Some("move-1")).await?;
    assert_eq!(
        (other.0, other.1["code"].clone()),
        (409, json!("idempotency_key_reused"))
    );
    assert_eq!(
        app.count("SELECT count(*) FROM session_reschedules")
            .await?,
        1
    );
    Ok(())
}

#[tokio::test]
async fn twenty_concurrent_moves_of_one_session_stop_at_the_limit() -> TestResult {
    let app = TestApp::spawn().await?;
    let db = app.db().await?;
    let c = coach(&db, "Asia/Kolkata").await?;
    let f = family(&db, c, ist(5, 10, 0), "scheduled").await?;
    let tasks: Vec<_> = (0..20)
        .map(|i| {
            let http = app.http.clone();
            let url = format!("{}/parent/sessions/{}/reschedule", app.base, f.session);
            let token = app.parent_token(f.parent_user);
            let body = to(ist(6 + i / 10, 8 + (i % 10) as u32, 0));
            tokio::spawn(async move {
                http.post(url)
                    .bearer_auth(token)
                    .json(&body)
                    .send()
                    .await
                    .map(|r| r.status().as_u16())
            })
        })
        .collect();
    let mut statuses = Vec::new();
    for t in tasks {
        statuses.push(t.await??);
    }
    let ok = statuses.iter().filter(|s| **s == 200).count();
    let refused = statuses.iter().filter(|s| **s == 409).count();
    assert_eq!((ok, refused), (2, 18), "{statuses:?}");
    let used: i32 = db
        .query_one(
            "SELECT reschedules_used FROM enrollments WHERE id = $1",
            &[&f.enrollment],
        )
        .await?
        .get(0);
    assert_eq!(used, 2);
    assert_eq!(
        app.count("SELECT count(*) FROM session_reschedules")
            .await?,
        2
    );
    Ok(())
}

#[tokio::test]
async fn two_families_racing_for_one_slot_get_one_200_and_one_409() -> TestResult {
    let app = TestApp::spawn().await?;
    let db = app.db().await?;
    for round in 0..5 {
        let c = coach(&db, "Asia/Kolkata").await?;
        let a = family(&db, c, ist(5, 10, 0), "scheduled").await?;
        let b = family(&db, c, ist(5, 12, 0), "scheduled").await?;
        let slot = to(ist(6, 9 + round, 0));
        let (ra, rb) = tokio::join!(
            reschedule(&app, &a, &slot, None),
            reschedule(&app, &b, &slot, None)
        );
        let mut got = vec![ra?.0, rb?.0];
        got.sort();
        assert_eq!(got, vec![200, 409], "round {round}");
    }
    assert_eq!(
        app.count("SELECT count(*) FROM yt_overlapping_sessions()")
            .await?,
        0
    );
    Ok(())
}

#[tokio::test]
async fn the_overlap_constraint_waits_for_live_overlaps_and_migrate_check_lists_them() -> TestResult
{
    let url = devtools::testdb::fresh_database().await?;
    let db = shared::clients::db::connect(&url).await?;
    db.batch_execute(
        "ALTER TABLE scheduled_sessions DROP CONSTRAINT scheduled_sessions_no_coach_overlap",
    )
    .await?;
    let c: Uuid = db
        .query_one("INSERT INTO coaches (name) VALUES ('C') RETURNING id", &[])
        .await?
        .get(0);
    let at = ist(3, 10, 0);
    for minutes in [0i64, 30] {
        db.execute(
            "INSERT INTO scheduled_sessions (coach_id, scheduled_time, status) VALUES ($1, $2, 'scheduled')",
            &[&c, &(at + Duration::minutes(minutes))],
        )
        .await?;
    }
    let pairs: i64 = db
        .query_one("SELECT yt_ensure_no_coach_overlap()", &[])
        .await?
        .get(0);
    assert_eq!(pairs, 1);
    let config = shared::runtime::config::Config::from_pairs([("DATABASE_URL", url.as_str())]);
    let err = shared::migrations::check_schema(&config)
        .await
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(
        err.contains("1 overlapping pairs") && err.contains(&c.to_string()),
        "{err}"
    );
    db.execute(
        "UPDATE scheduled_sessions SET status = 'cancelled' WHERE scheduled_time > $1",
        &[&at],
    )
    .await?;
    let mut client = shared::clients::db::connect(&url).await?;
    shared::migrations::migrate(&mut client).await?;
    assert_eq!(
        shared::migrations::check_schema(&config).await?["differences"],
        json!([])
    );
    let clash = db
        .execute(
            "INSERT INTO scheduled_sessions (coach_id, scheduled_time, status) VALUES ($1, $2, 'pending')",
            &[&c, &(at + Duration::minutes(44))],
        )
        .await;
    assert!(clash.is_err(), "the constraint is back");
    Ok(())
}

async fn google() -> Result<MockServer, E> {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/token"))
        .respond_with(ResponseTemplate::new(200).set_body_json(
            json!({"access_token": "ya29.test", "expires_in": 3600, "token_type": "Bearer"}),
        ))
        .mount(&server)
        .await;
    Ok(server)
}

/// The app with calendar-sync talking to the Google double (token endpoint and Calendar API).
async fn app_with_google(server: &MockServer, calendar: &str) -> Result<TestApp, E> {
    let base = server.uri();
    let calendar = calendar.to_string();
    TestApp::spawn_with(move |c| {
        c.with(
            "GOOGLE_SERVICE_ACCOUNT_KEY",
            devtools::demo::dev_google_key_json(&format!("{base}/token")),
        )
        .with("GOOGLE_CALENDAR_API_BASE", base.clone())
        .with("GOOGLE_CALENDAR_ID", calendar)
    })
    .await
}

fn sqs_event(bodies: &[Value]) -> Value {
    json!({"Records": bodies.iter().enumerate().map(|(i, b)| json!({
        "messageId": format!("m{i}"), "body": b.to_string(), "eventSource": "aws:sqs",
    })).collect::<Vec<_>>()})
}

#[tokio::test]
async fn calendar_sync_moves_the_event_to_the_current_time_whatever_the_order() -> TestResult {
    let server = google().await?;
    Mock::given(method("PATCH"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"id": "evt"})))
        .mount(&server)
        .await;
    let app = app_with_google(&server, "sessions@yestoryd.com").await?;
    let db = app.db().await?;
    let c = coach(&db, "Europe/London").await?;
    let f = family(&db, c, ist(5, 10, 0), "scheduled").await?;
    let (s1, _) = reschedule(&app, &f, &to(ist(6, 14, 0)), None).await?;
    let (s2, _) = reschedule(&app, &f, &to(ist(7, 15, 0)), None).await?;
    assert_eq!((s1, s2), (200, 200));
    // The two messages arrive newest first.
    let newest = json!({"sessionId": f.session, "scheduledTime": ist(7, 15, 0)});
    let older = json!({"sessionId": f.session, "scheduledTime": ist(6, 14, 0)});
    let out = shared::scheduling::CALENDAR_SYNC
        .call_event(&app.ctx, sqs_event(&[newest, older]))
        .await?;
    assert_eq!(out["batchItemFailures"], json!([]));
    let patches: Vec<wiremock::Request> = server
        .received_requests()
        .await
        .unwrap_or_default()
        .into_iter()
        .filter(|r| r.method.as_str() == "PATCH")
        .collect();
    assert_eq!(patches.len(), 2);
    let event: String = db
        .query_one(
            "SELECT google_event_id FROM scheduled_sessions WHERE id = $1",
            &[&f.session],
        )
        .await?
        .get(0);
    for p in &patches {
        assert_eq!(
            p.url.path(),
            format!("/calendars/sessions%40yestoryd.com/events/{event}")
        );
        assert_eq!(
            p.headers.get("authorization").and_then(|v| v.to_str().ok()),
            Some("Bearer ya29.test")
        );
        let body: Value = serde_json::from_slice(&p.body)?;
        let start = body["start"]["dateTime"]
            .as_str()
            .and_then(|s| DateTime::parse_from_rfc3339(s).ok());
        assert_eq!(
            start.map(|d| d.with_timezone(&Utc)),
            Some(ist(7, 15, 0)),
            "never moved back"
        );
        let end = body["end"]["dateTime"]
            .as_str()
            .and_then(|s| DateTime::parse_from_rfc3339(s).ok());
        assert_eq!(end.map(|d| d.with_timezone(&Utc)), Some(ist(7, 15, 45)));
        assert_eq!(body["start"]["timeZone"], "Europe/London");
    }
    // One token for both moves, asked for with a signed JWT bearer grant.
    let tokens: Vec<wiremock::Request> = server
        .received_requests()
        .await
        .unwrap_or_default()
        .into_iter()
        .filter(|r| r.url.path() == "/token")
        .collect();
    assert_eq!(tokens.len(), 1);
    let form = String::from_utf8_lossy(&tokens[0].body).to_string();
    assert!(
        form.starts_with(
            "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer&assertion="
        ),
        "{form}"
    );
    let assertion = form.split("assertion=").nth(1).unwrap_or_default();
    let key = jsonwebtoken::DecodingKey::from_rsa_pem(public_pem().as_bytes())?;
    let mut v = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::RS256);
    v.set_audience(&[format!("{}/token", server.uri())]);
    let claims = jsonwebtoken::decode::<Value>(assertion, &key, &v)?.claims;
    assert_eq!(claims["scope"], "https://www.googleapis.com/auth/calendar");
    assert_eq!(
        claims["iss"],
        "calendar-sync@yestoryd-local.iam.gserviceaccount.com"
    );
    Ok(())
}

/// The public half of devtools' throwaway key (its private half signs the grant).
fn public_pem() -> String {
    include_str!("fixtures/dev-google-key.pub.pem").to_string()
}

#[tokio::test]
async fn calendar_sync_retries_5xx_and_drops_a_gone_event() -> TestResult {
    let server = google().await?;
    Mock::given(method("PATCH"))
        .and(path("/calendars/primary/events/gone"))
        .respond_with(ResponseTemplate::new(410))
        .mount(&server)
        .await;
    Mock::given(method("PATCH"))
        .respond_with(ResponseTemplate::new(503))
        .mount(&server)
        .await;
    let app = app_with_google(&server, "primary").await?;
    let db = app.db().await?;
    let c = coach(&db, "Asia/Kolkata").await?;
    let down = family(&db, c, ist(5, 10, 0), "scheduled").await?;
    let gone = family(&db, c, ist(5, 12, 0), "scheduled").await?;
    db.execute(
        "UPDATE scheduled_sessions SET google_event_id = 'gone' WHERE id = $1",
        &[&gone.session],
    )
    .await?;
    let none = family(&db, c, ist(5, 14, 0), "scheduled").await?;
    db.execute(
        "UPDATE scheduled_sessions SET google_event_id = NULL WHERE id = $1",
        &[&none.session],
    )
    .await?;
    let out = shared::scheduling::CALENDAR_SYNC
        .call_event(
            &app.ctx,
            sqs_event(&[
                json!({"sessionId": down.session}),
                json!({"sessionId": gone.session}),
                json!({"sessionId": none.session}),
                json!({"nothing": true}),
            ]),
        )
        .await?;
    assert_eq!(out["batchItemFailures"], json!([{"itemIdentifier": "m0"}]));
    Ok(())
}
