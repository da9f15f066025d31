//! Coach matching over HTTP against a real database: the seed's weights on a worked example,
//! the needs-first order, who is left out, the specialization set's validation and its
//! all-or-nothing replacement under concurrent PUTs, and who may call it.
use crate::support;

use serde_json::{json, Value};
use support::{TestApp, TestResult};
use tokio_postgres::Client;
use uuid::Uuid;

type E = Box<dyn std::error::Error + Send + Sync>;

async fn coach(db: &Client, name: &str, active: bool, cap: Option<i32>) -> Result<Uuid, E> {
    Ok(db
        .query_one(
            "INSERT INTO coaches (name, is_active, max_active_enrollments) VALUES ($1, $2, $3) RETURNING id",
            &[&name, &active, &cap],
        )
        .await?
        .get(0))
}

async fn child(
    db: &Client,
    age: Option<i32>,
    phonics: Option<&str>,
    needs: &[&str],
) -> Result<Uuid, E> {
    let needs: Vec<String> = needs.iter().map(|s| s.to_string()).collect();
    Ok(db
        .query_one(
            "INSERT INTO children (name, age, phonics_focus, learning_needs, status) VALUES ('Kid', $1, $2, $3, 'lead') RETURNING id",
            &[&age, &phonics, &needs],
        )
        .await?
        .get(0))
}

async fn enroll(db: &Client, coach: Uuid, n: usize, status: &str) -> Result<(), E> {
    for _ in 0..n {
        db.execute(
            "INSERT INTO enrollments (coach_id, status) VALUES ($1, $2)",
            &[&coach, &status],
        )
        .await?;
    }
    Ok(())
}

async fn put(app: &TestApp, coach: Uuid, body: &Value) -> Result<(u16, Value), E> {
    let r = app
        .http
        .put(format!(
            "{}/admin/coaches/{coach}/specializations",
            app.base
        ))
        .bearer_auth(app.admin_token())
        .json(body)
        .send()
        .await?;
    Ok((r.status().as_u16(), r.json().await?))
}

async fn set(app: &TestApp, coach: Uuid, entries: &[(&str, &str, i32)]) -> Result<(), E> {
    let body = json!({"specializations": entries.iter().map(|(t, v, p)| json!({"type": t, "value": v, "proficiency": p})).collect::<Vec<_>>()});
    let (status, answer) = put(app, coach, &body).await?;
    assert_eq!(status, 200, "{answer}");
    Ok(())
}

async fn matches(app: &TestApp, query: &str) -> Result<(u16, Value), E> {
    let r = app
        .http
        .get(format!("{}/admin/coaches/match?{query}", app.base))
        .bearer_auth(app.admin_token())
        .send()
        .await?;
    Ok((r.status().as_u16(), r.json().await?))
}

fn ids(answer: &Value) -> Vec<String> {
    answer["matches"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|m| m["coachId"].as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test]
async fn the_seed_weights_on_a_worked_example_with_reasons() -> TestResult {
    let app = TestApp::spawn().await?;
    let db = app.db().await?;
    let asha = coach(&db, "Asha", true, None).await?;
    set(
        &app,
        asha,
        &[
            ("age_group", "4-6", 8),
            ("age_group", "5-9", 6),
            ("phonics_level", "foundation", 7),
            ("learning_need", "dyslexia", 9),
            ("learning_need", "adhd", 5),
        ],
    )
    .await?;
    enroll(&db, asha, 2, "active").await?;
    enroll(&db, asha, 3, "completed").await?;
    let kid = child(
        &db,
        Some(5),
        Some("Foundation "),
        &["Dyslexia", "adhd", "autism"],
    )
    .await?;
    let (status, answer) = matches(&app, &format!("childId={kid}")).await?;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["childId"], json!(kid));
    let m = &answer["matches"][0];
    // 8 × 2 + 7 × 3 + (9 + 5) × 4 = 16 + 21 + 56 = 93.
    assert_eq!(m["score"], 93);
    assert_eq!(
        m["breakdown"],
        json!({"ageGroup": 16, "phonicsLevel": 21, "learningNeed": 56})
    );
    assert_eq!(m["activeEnrollments"], 2, "only active enrollments count");
    assert_eq!(
        m["reasons"],
        json!([
            "Ages 4-6, proficiency 8",
            "Phonics level foundation, proficiency 7",
            "Learning need dyslexia, proficiency 9",
            "Learning need adhd, proficiency 5",
            "2 active enrollments"
        ])
    );

    // Without an age the age part is left out, and the reasons say so.
    let ageless = child(&db, None, Some("foundation"), &[]).await?;
    let (_, answer) = matches(&app, &format!("childId={ageless}")).await?;
    assert_eq!(answer["matches"][0]["score"], 21);
    assert!(answer["matches"][0]["reasons"][0]
        .as_str()
        .is_some_and(|r| r.contains("No age on record")));
    Ok(())
}

#[tokio::test]
async fn needs_come_first_and_inactive_or_full_coaches_are_left_out() -> TestResult {
    let app = TestApp::spawn().await?;
    let db = app.db().await?;
    let strong = coach(&db, "Strong", true, None).await?;
    set(
        &app,
        strong,
        &[("age_group", "4-8", 10), ("phonics_level", "building", 10)],
    )
    .await?;
    let needs = coach(&db, "Needs", true, Some(3)).await?;
    set(&app, needs, &[("learning_need", "dyslexia", 1)]).await?;
    enroll(&db, needs, 2, "active").await?;
    let blank = coach(&db, "blank", true, None).await?;
    let inactive = coach(&db, "Inactive", false, None).await?;
    set(&app, inactive, &[("learning_need", "dyslexia", 10)]).await?;
    let full = coach(&db, "Full", true, Some(2)).await?;
    set(&app, full, &[("learning_need", "dyslexia", 10)]).await?;
    enroll(&db, full, 2, "active").await?;

    let kid = child(&db, Some(6), Some("building"), &["dyslexia"]).await?;
    let (status, answer) = matches(&app, &format!("childId={kid}&limit=10")).await?;
    assert_eq!(status, 200);
    assert_eq!(
        ids(&answer),
        vec![needs.to_string(), strong.to_string(), blank.to_string()],
        "{answer}"
    );
    assert_eq!(
        answer["matches"][2]["score"], 0,
        "no specializations: 0, still listed"
    );

    // Needs reaches its cap: it drops out.
    enroll(&db, needs, 1, "active").await?;
    let (_, answer) = matches(&app, &format!("childId={kid}&limit=10")).await?;
    assert_eq!(ids(&answer), vec![strong.to_string(), blank.to_string()]);
    let (_, answer) = matches(&app, &format!("childId={kid}&limit=1")).await?;
    assert_eq!(ids(&answer), vec![strong.to_string()]);
    Ok(())
}

#[tokio::test]
async fn bad_queries_unknown_children_and_callers_who_are_not_admins() -> TestResult {
    let app = TestApp::spawn().await?;
    let db = app.db().await?;
    let kid = child(&db, Some(5), None, &[]).await?;
    for (query, field) in [
        (String::new(), "childId"),
        ("childId=nope".to_string(), "childId"),
        (format!("childId={kid}&limit=0"), "limit"),
        (format!("childId={kid}&limit=51"), "limit"),
        (format!("childId={kid}&limit=ten"), "limit"),
        (format!("childId={kid}&childId={kid}"), "childId"),
    ] {
        let (status, answer) = matches(&app, &query).await?;
        assert_eq!(status, 400, "{query}: {answer}");
        assert!(
            answer["details"]["fields"][field].is_string(),
            "{query}: {answer}"
        );
    }
    let (status, answer) = matches(&app, &format!("childId={}", Uuid::new_v4())).await?;
    assert_eq!((status, answer["code"].clone()), (404, json!("not_found")));

    let parent = app.parent_token(Uuid::new_v4());
    let c = coach(&db, "C", true, None).await?;
    for req in [
        app.http
            .get(format!("{}/admin/coaches/match?childId={kid}", app.base)),
        app.http
            .get(format!("{}/admin/coaches/{c}/specializations", app.base)),
        app.http
            .put(format!("{}/admin/coaches/{c}/specializations", app.base))
            .json(&json!({"specializations": []})),
    ] {
        let r = req.bearer_auth(&parent).send().await?;
        assert_eq!(r.status().as_u16(), 403);
    }
    assert_eq!(
        app.count("SELECT count(*) FROM coach_specializations")
            .await?,
        0
    );
    Ok(())
}

#[tokio::test]
async fn a_put_replaces_the_set_and_names_each_bad_entry() -> TestResult {
    let app = TestApp::spawn().await?;
    let db = app.db().await?;
    let c = coach(&db, "C", true, None).await?;
    set(
        &app,
        c,
        &[("learning_need", "adhd", 4), ("age_group", "3-5", 2)],
    )
    .await?;
    let (status, answer) = put(
        &app,
        c,
        &json!({"specializations": [
            {"type": "phonics_level", "value": " Mastery", "proficiency": 9},
            {"type": "age_group", "value": "10 - 12", "proficiency": 3}
        ]}),
    )
    .await?;
    assert_eq!(status, 200);
    let want = json!({"coachId": c, "specializations": [
        {"type": "age_group", "value": "10-12", "proficiency": 3},
        {"type": "phonics_level", "value": "mastery", "proficiency": 9}
    ]});
    assert_eq!(answer, want);
    let r = app
        .http
        .get(format!("{}/admin/coaches/{c}/specializations", app.base))
        .bearer_auth(app.admin_token())
        .send()
        .await?;
    assert_eq!(r.json::<Value>().await?, want, "the old set is gone");

    for (body, field) in [
        (
            json!({"specializations": [{"type": "age_group", "value": "2-5", "proficiency": 5}]}),
            "specializations[0].value",
        ),
        (
            json!({"specializations": [{"type": "phonics_level", "value": "mastery", "proficiency": 5}, {"type": "age_group", "value": "4-6", "proficiency": 11}]}),
            "specializations[1].proficiency",
        ),
        (
            json!({"specializations": [{"type": "skill", "value": "x", "proficiency": 5}]}),
            "specializations[0].type",
        ),
        (
            json!({"specializations": [{"type": "learning_need", "value": "adhd", "proficiency": 5}, {"type": "learning_need", "value": "ADHD", "proficiency": 6}]}),
            "specializations[1].value",
        ),
        (
            json!({"specializations": [{"type": "learning_need", "value": "adhd", "proficiency": "high"}]}),
            "specializations[0].proficiency",
        ),
        (
            json!({"specializations": [{"type": "learning_need", "value": "adhd"}]}),
            "specializations[0].proficiency",
        ),
        (
            json!({"specializations": [
                {"type": "learning_need", "value": "adhd", "proficiency": 5},
                {"type": "learning_need", "value": "autism", "proficiency": 5},
                {"type": "age_group", "proficiency": 5}
            ]}),
            "specializations[2].value",
        ),
        (
            json!({"specializations": [{"type": "learning_need", "value": "adhd", "proficiency": 5, "extra": 1}]}),
            "specializations[0].extra",
        ),
        (
            json!({"specializations": [{"type": "learning_need", "value": "adhd", "proficiency": 5_000_000_000i64}]}),
            "specializations[0].proficiency",
        ),
        (
            json!({"specializations": [{"type": "learning_need", "value": 7, "proficiency": 5}]}),
            "specializations[0].value",
        ),
        (json!({"specializations": {}}), "specializations"),
        (json!({"specializations": [], "coach": 1}), "coach"),
        (json!({}), "specializations"),
    ] {
        let (status, answer) = put(&app, c, &body).await?;
        assert_eq!(status, 400, "{body}: {answer}");
        let fields = answer["details"]["fields"]
            .as_object()
            .cloned()
            .unwrap_or_default();
        assert_eq!(
            fields.keys().collect::<Vec<_>>(),
            vec![field],
            "{body}: {answer}"
        );
    }
    // Nothing of the refused bodies was stored.
    assert_eq!(
        app.count("SELECT count(*) FROM coach_specializations")
            .await?,
        2
    );
    let (status, _) = put(&app, Uuid::new_v4(), &json!({"specializations": []})).await?;
    assert_eq!(status, 404);
    let r = app
        .http
        .get(format!(
            "{}/admin/coaches/not-a-uuid/specializations",
            app.base
        ))
        .bearer_auth(app.admin_token())
        .send()
        .await?;
    assert_eq!(r.status().as_u16(), 400);
    Ok(())
}

#[tokio::test]
async fn concurrent_puts_leave_exactly_one_whole_set() -> TestResult {
    let app = TestApp::spawn().await?;
    let db = app.db().await?;
    let c = coach(&db, "C", true, None).await?;
    let base = app.base.clone();
    let token = app.admin_token();
    let tasks: Vec<_> = (0..16)
        .map(|i| {
            let http = app.http.clone();
            let url = format!("{base}/admin/coaches/{c}/specializations");
            let token = token.clone();
            // Set i: i + 1 learning needs named after i, all at proficiency (i % 10) + 1.
            let entries: Vec<Value> = (0..=i)
                .map(|j| json!({"type": "learning_need", "value": format!("need_{i}_{j}"), "proficiency": (i % 10) + 1}))
                .collect();
            tokio::spawn(async move {
                http.put(url)
                    .bearer_auth(token)
                    .json(&json!({"specializations": entries}))
                    .send()
                    .await
                    .map(|r| r.status().as_u16())
            })
        })
        .collect();
    for t in tasks {
        assert_eq!(t.await??, 200);
    }
    let rows = db
        .query(
            "SELECT specialization_value FROM coach_specializations WHERE coach_id = $1",
            &[&c],
        )
        .await?;
    let values: Vec<String> = rows.iter().map(|r| r.get(0)).collect();
    let owners: std::collections::BTreeSet<&str> =
        values.iter().filter_map(|v| v.split('_').nth(1)).collect();
    assert_eq!(owners.len(), 1, "sets mixed: {values:?}");
    let i: usize = owners
        .iter()
        .next()
        .and_then(|s| s.parse().ok())
        .ok_or("no set")?;
    assert_eq!(values.len(), i + 1, "set {i} incomplete: {values:?}");
    Ok(())
}
