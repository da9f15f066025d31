//! The admin payments dashboard over HTTP: Indian business days, filters and pages, stats that
//! add up, and an export that a spreadsheet can open safely.
use crate::support;

use serde_json::Value;
use support::{TestApp, TestResult};
use uuid::Uuid;

struct Fixture {
    parent: Uuid,
    enrollment: Uuid,
}

async fn family(
    app: &TestApp,
    parent_name: &str,
    email: &str,
    phone: &str,
    child: &str,
) -> Result<Fixture, Box<dyn std::error::Error + Send + Sync>> {
    let db = app.db().await?;
    let parent: Uuid = db
        .query_one("INSERT INTO parents (user_id, name, email, phone) VALUES ($1, $2, $3, $4) RETURNING id", &[&Uuid::new_v4(), &parent_name, &email, &phone])
        .await?
        .get(0);
    let child_id: Uuid = db
        .query_one(
            "INSERT INTO children (parent_id, name) VALUES ($1, $2) RETURNING id",
            &[&parent, &child],
        )
        .await?
        .get(0);
    let enrollment: Uuid = db
        .query_one(
            "INSERT INTO enrollments (child_id, parent_id, status, sessions_total, child_name) VALUES ($1, $2, 'active', 8, $3) RETURNING id",
            &[&child_id, &parent, &child],
        )
        .await?
        .get(0);
    Ok(Fixture { parent, enrollment })
}

async fn payment(
    app: &TestApp,
    f: &Fixture,
    at: &str,
    amount: i64,
    status: &str,
    pay_id: &str,
) -> Result<Uuid, Box<dyn std::error::Error + Send + Sync>> {
    let db = app.db().await?;
    let at = chrono::DateTime::parse_from_rfc3339(at)?.with_timezone(&chrono::Utc);
    let captured = matches!(status, "captured" | "refunded").then_some(at);
    Ok(db
        .query_one(
            "INSERT INTO payments (enrollment_id, parent_id, razorpay_order_id, razorpay_payment_id, amount, status, captured_at, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
            &[&f.enrollment, &f.parent, &format!("order_{pay_id}"), &pay_id, &amount, &status, &captured, &at],
        )
        .await?
        .get(0))
}

async fn get(
    app: &TestApp,
    path: &str,
    query: &[(&str, &str)],
) -> reqwest::Result<reqwest::Response> {
    app.http
        .get(format!("{}{}", app.base, path))
        .query(query)
        .bearer_auth(app.admin_token())
        .send()
        .await
}

#[tokio::test]
async fn a_payment_at_2330_ist_on_the_last_day_counts_in_that_day_and_month() -> TestResult {
    let app = TestApp::spawn().await?;
    let f = family(
        &app,
        "Meera Iyer",
        "meera@example.com",
        "+919811111111",
        "Kabir",
    )
    .await?;
    payment(
        &app,
        &f,
        "2026-11-30T23:30:00+05:30",
        10000,
        "captured",
        "pay_nov30",
    )
    .await?;
    // 00:30 IST on 1 December is still 30 November in UTC: it belongs to December here.
    payment(
        &app,
        &f,
        "2026-12-01T00:30:00+05:30",
        7000,
        "captured",
        "pay_dec01",
    )
    .await?;

    let s: Value = get(
        &app,
        "/admin/payments/stats",
        &[("asOf", "2026-11-30T23:45:00+05:30")],
    )
    .await?
    .json()
    .await?;
    assert_eq!(
        (s["todayRevenue"].as_i64(), s["monthRevenue"].as_i64()),
        (Some(10000), Some(10000)),
        "{s}"
    );
    assert_eq!(s["asOf"], "2026-11-30T23:45:00+05:30");
    let s: Value = get(
        &app,
        "/admin/payments/stats",
        &[("asOf", "2026-12-01T10:00:00+05:30")],
    )
    .await?
    .json()
    .await?;
    assert_eq!(
        (s["todayRevenue"].as_i64(), s["monthRevenue"].as_i64()),
        (Some(7000), Some(7000)),
        "{s}"
    );

    let l: Value = get(
        &app,
        "/admin/payments",
        &[("from", "2026-11-30"), ("to", "2026-11-30")],
    )
    .await?
    .json()
    .await?;
    assert_eq!(l["total"], 1);
    assert_eq!(l["payments"][0]["razorpayPaymentId"], "pay_nov30");
    assert_eq!(l["payments"][0]["createdAt"], "2026-11-30T23:30:00+05:30");
    let l: Value = get(&app, "/admin/payments", &[("from", "2026-12-01")])
        .await?
        .json()
        .await?;
    assert_eq!(l["total"], 1);
    assert_eq!(l["payments"][0]["razorpayPaymentId"], "pay_dec01");
    Ok(())
}

#[tokio::test]
async fn filters_search_and_pages_without_repeats() -> TestResult {
    let app = TestApp::spawn().await?;
    let meera = family(
        &app,
        "Meera Iyer",
        "meera.iyer@example.com",
        "+919811111111",
        "Kabir",
    )
    .await?;
    let arjun = family(
        &app,
        "Arjun Rao",
        "arjun@example.org",
        "+919822222222",
        "Ishaan",
    )
    .await?;
    let mut n = 0;
    for (f, status, count) in [
        (&meera, "captured", 9),
        (&meera, "failed", 4),
        (&arjun, "captured", 8),
        (&arjun, "refunded", 4),
    ] {
        for _ in 0..count {
            n += 1;
            // Several payments share a timestamp: the order must still be stable.
            let at = format!("2026-11-{:02}T10:00:00+05:30", 1 + n / 3);
            payment(&app, f, &at, 1000 * n, status, &format!("pay_{n:04}")).await?;
        }
    }
    let mut seen = std::collections::HashSet::new();
    for page in 1..=3 {
        let p = page.to_string();
        let l: Value = get(&app, "/admin/payments", &[("page", &p), ("limit", "10")])
            .await?
            .json()
            .await?;
        assert_eq!(l["total"], 25);
        for row in l["payments"].as_array().into_iter().flatten() {
            assert!(
                seen.insert(row["id"].as_str().unwrap_or_default().to_string()),
                "a row came twice"
            );
        }
    }
    assert_eq!(seen.len(), 25);

    let l: Value = get(&app, "/admin/payments", &[("status", "failed,refunded")])
        .await?
        .json()
        .await?;
    assert_eq!(l["total"], 8);
    let l: Value = get(
        &app,
        "/admin/payments",
        &[("status", "refunded"), ("status", "failed")],
    )
    .await?
    .json()
    .await?;
    assert_eq!(l["total"], 8);
    for (q, want) in [
        ("meera.iyer@", 13),
        ("98222", 12),
        ("ishaan", 12),
        ("pay_0007", 1),
        ("order_pay_0003", 1),
        ("nobody", 0),
        ("100%", 0),
    ] {
        let l: Value = get(&app, "/admin/payments", &[("q", q)])
            .await?
            .json()
            .await?;
        assert_eq!(l["total"], want, "q={q}");
    }
    let l: Value = get(
        &app,
        "/admin/payments",
        &[("q", "kabir"), ("status", "captured"), ("limit", "100")],
    )
    .await?
    .json()
    .await?;
    assert_eq!(l["total"], 9);
    assert_eq!(l["payments"][0]["childName"], "Kabir");
    assert_eq!(l["payments"][0]["parentName"], "Meera Iyer");

    for (k, v) in [
        ("limit", "0"),
        ("limit", "101"),
        ("limit", "-1"),
        ("limit", "abc"),
        ("page", "0"),
        ("from", "31-11-2026"),
        ("status", "paid"),
    ] {
        let r = get(&app, "/admin/payments", &[(k, v)]).await?;
        assert_eq!(r.status(), 400, "{k}={v}");
        let e: Value = r.json().await?;
        assert!(e["details"]["fields"][k].is_string(), "{k}={v}: {e}");
    }
    Ok(())
}

#[tokio::test]
async fn stats_with_refunds_and_failures_mixed() -> TestResult {
    let app = TestApp::spawn().await?;
    let f = family(
        &app,
        "Meera Iyer",
        "meera@example.com",
        "+919811111111",
        "Kabir",
    )
    .await?;
    let now = chrono::Utc::now();
    let today = now.with_timezone(&chrono_tz::Asia::Kolkata).to_rfc3339();
    payment(&app, &f, &today, 24000, "captured", "pay_t1").await?;
    payment(&app, &f, &today, 36000, "refunded", "pay_t2").await?;
    payment(&app, &f, &today, 5000, "failed", "pay_t3").await?;
    payment(
        &app,
        &f,
        "2020-01-01T10:00:00+05:30",
        99999,
        "captured",
        "pay_old",
    )
    .await?;
    let db = app.db().await?;
    for (status, amount, pay) in [
        ("completed", 36000i64, "pay_t2"),
        ("processing", 15000, "pay_t1"),
        ("pending", 1000, "pay_t1"),
        ("failed", 7000, "pay_t1"),
    ] {
        let e: Uuid = db.query_one("INSERT INTO enrollments (status, sessions_total) VALUES ('active', 8) RETURNING id", &[]).await?.get(0);
        db.execute(
            "INSERT INTO enrollment_terminations (enrollment_id, terminated_by, termination_reason, sessions_total, sessions_completed,
               sessions_remaining, original_amount, refund_amount, coach_settlement_amount, platform_retention, razorpay_payment_id,
               created_by, refund_status, refund_initiated_at)
             VALUES ($1, 'admin', 'reason long enough', 8, 0, 8, $2, $2, 0, 0, $3, 'ops', $4, CASE WHEN $4 = 'pending' THEN NULL ELSE NOW() END)",
            &[&e, &amount, &pay, &status],
        )
        .await?;
    }
    for (pid, converted) in [("pay_f1", false), ("pay_f2", false), ("pay_f3", true)] {
        db.execute(
            "INSERT INTO failed_payments (razorpay_payment_id, razorpay_order_id, amount, converted_at) VALUES ($1, 'order_f', 100, CASE WHEN $2 THEN NOW() END)",
            &[&pid, &converted],
        )
        .await?;
    }
    let s: Value = get(&app, "/admin/payments/stats", &[])
        .await?
        .json()
        .await?;
    assert_eq!(s["todayRevenue"], 60000, "{s}");
    assert_eq!(s["monthRevenue"], 60000);
    assert_eq!(
        s["todayRefunds"], 51000,
        "completed + processing; pending and failed moved no money"
    );
    assert_eq!(s["monthRefunds"], 51000);
    assert_eq!(s["monthNetRevenue"], 9000);
    assert_eq!(s["failedCount"], 2);
    assert_eq!(s["pendingRefunds"], 2);
    assert_eq!(s["currency"], "INR");
    assert_eq!(
        get(&app, "/admin/payments/stats", &[("asOf", "yesterday")])
            .await?
            .status(),
        400
    );
    Ok(())
}

#[tokio::test]
async fn export_neutralises_formulas_and_parses_back_to_the_same_rows() -> TestResult {
    let app = TestApp::spawn().await?;
    let evil = family(
        &app,
        "=HYPERLINK(\"http://evil.example\",\"click\")",
        "@evil@example.com",
        "+919800000000",
        "Zoya, \"Z\"",
    )
    .await?;
    let good = family(&app, "Meera Iyer", "meera@example.com", "-5", "Kabir").await?;
    payment(
        &app,
        &evil,
        "2026-11-10T09:00:00+05:30",
        24000,
        "captured",
        "pay_e1",
    )
    .await?;
    payment(
        &app,
        &good,
        "2026-11-11T09:00:00+05:30",
        12345,
        "refunded",
        "pay_e2",
    )
    .await?;
    payment(
        &app,
        &good,
        "2026-10-01T09:00:00+05:30",
        100,
        "captured",
        "pay_oct",
    )
    .await?;

    let r = get(
        &app,
        "/admin/payments/export",
        &[("from", "2026-11-01"), ("to", "2026-11-30")],
    )
    .await?;
    assert_eq!(r.status(), 200);
    assert!(r.headers()["content-type"]
        .to_str()?
        .starts_with("text/csv"));
    assert_eq!(
        r.headers()["content-disposition"].to_str()?,
        "attachment; filename=\"payments_2026-11-01_to_2026-11-30.csv\""
    );
    let body = r.text().await?;
    let mut reader = csv::Reader::from_reader(body.as_bytes());
    let header: Vec<String> = reader.headers()?.iter().map(str::to_string).collect();
    assert_eq!(header[0], "Payment ID");
    let rows: Vec<csv::StringRecord> = reader.records().collect::<Result<_, _>>()?;
    assert_eq!(rows.len(), 2);
    assert_eq!(&rows[0][1], "2026-11-11 09:00:00");
    assert_eq!(&rows[0][5], "123.45");
    assert_eq!(&rows[0][6], "12345");
    assert_eq!(
        &rows[1][2],
        "'=HYPERLINK(\"http://evil.example\",\"click\")"
    );
    assert_eq!(&rows[1][3], "'@evil@example.com");
    assert_eq!(&rows[1][4], "Zoya, \"Z\"");
    assert_eq!(&rows[1][9], "pay_e1");
    for row in &rows {
        for cell in row.iter() {
            assert!(
                !cell.starts_with(['=', '+', '-', '@']),
                "unsafe cell {cell}"
            );
        }
    }
    Ok(())
}

/// The app with a fresh S3 bucket (moto) for exports above `inline_max` bytes.
async fn app_with_exports_bucket(
    inline_max: &'static str,
) -> Result<TestApp, Box<dyn std::error::Error + Send + Sync>> {
    let bucket = format!("exports-{}", Uuid::new_v4().simple());
    devtools::s3::create_bucket(&bucket).await?;
    TestApp::spawn_with(move |c| {
        c.with("EXPORTS_BUCKET", bucket)
            .with("EXPORT_INLINE_MAX_BYTES", inline_max)
    })
    .await
}

#[tokio::test]
async fn a_large_export_goes_to_s3_behind_a_presigned_link() -> TestResult {
    let app = app_with_exports_bucket("400").await?;
    let f = family(
        &app,
        "Meera Iyer",
        "meera@example.com",
        "+919811111111",
        "Kabir",
    )
    .await?;
    for i in 0..10 {
        payment(
            &app,
            &f,
            "2026-11-10T09:00:00+05:30",
            1000 + i,
            "captured",
            &format!("pay_big{i}"),
        )
        .await?;
    }
    let r = get(&app, "/admin/payments/export", &[]).await?;
    assert_eq!(r.status(), 202);
    let v: Value = r.json().await?;
    assert_eq!(v["rows"], 10);
    let url = v["url"].as_str().unwrap_or_default();
    assert!(url.contains("X-Amz-Signature"), "{v}");
    let csv_text = reqwest::get(url).await?.text().await?;
    assert_eq!(
        csv::Reader::from_reader(csv_text.as_bytes())
            .records()
            .count(),
        10
    );
    Ok(())
}

#[tokio::test]
async fn dashboard_routes_are_for_admins_only() -> TestResult {
    let app = TestApp::spawn().await?;
    let s = app.seed_enrollment(1000, 1, 0, 1.0).await?;
    for path in [
        "/admin/payments",
        "/admin/payments/export",
        "/admin/payments/stats",
    ] {
        let url = format!("{}{}", app.base, path);
        assert_eq!(app.http.get(&url).send().await?.status(), 401, "{path}");
        assert_eq!(
            app.http
                .get(&url)
                .bearer_auth(app.parent_token(s.parent_user_id))
                .send()
                .await?
                .status(),
            403,
            "{path}"
        );
    }
    Ok(())
}

#[tokio::test]
async fn an_export_of_several_s3_parts_is_byte_for_byte_the_whole_file() -> TestResult {
    let app = app_with_exports_bucket("100000").await?;
    let f = family(
        &app,
        "=Meera Iyer",
        "meera@example.com",
        "+919811111111",
        "Kabir",
    )
    .await?;
    // 80,000 rows ≈ 12 MB of CSV: three parts (5 MiB, 5 MiB and the rest).
    app.db()
        .await?
        .execute(
            "INSERT INTO payments (enrollment_id, parent_id, razorpay_order_id, razorpay_payment_id, amount, status, captured_at, created_at)
             SELECT $1, $2, 'order_m' || g, 'pay_m' || g, 1000 + g, 'captured', NOW() - make_interval(secs => g), NOW() - make_interval(secs => g)
             FROM generate_series(1, 80000) g",
            &[&f.enrollment, &f.parent],
        )
        .await?;
    let r = get(&app, "/admin/payments/export", &[]).await?;
    assert_eq!(r.status(), 202);
    let v: Value = r.json().await?;
    assert_eq!(v["rows"], 80000);
    let url = v["url"].as_str().unwrap_or_default();
    let got = reqwest::get(url).await?.bytes().await?;
    assert!(got.len() > 2 * shared::dashboard::upload::PART_SIZE);
    assert_eq!(v["bytes"], got.len());

    // The same file the whole-in-memory export makes (today's answer).
    let filters =
        shared::dashboard::filters::parse(&Default::default(), false).map_err(|e| e.to_string())?;
    let db = app.db().await?;
    let rows = shared::dashboard::store::export_payments(&db, &filters, i64::MAX).await?;
    let want = shared::dashboard::export::to_csv(&rows)?;
    assert!(got.as_ref() == want.as_slice(), "the streamed file differs");
    Ok(())
}

#[tokio::test]
async fn a_null_where_the_code_needs_a_value_is_a_500_that_names_nothing() -> TestResult {
    let app = TestApp::spawn().await?;
    let f = family(
        &app,
        "Meera Iyer",
        "meera@example.com",
        "+919811111111",
        "Kabir",
    )
    .await?;
    payment(
        &app,
        &f,
        "2026-11-10T09:00:00+05:30",
        24000,
        "captured",
        "pay_null1",
    )
    .await?;
    // YesToryd's real database is not ours: a column we expect NOT NULL may hold a NULL.
    app.db()
        .await?
        .batch_execute(
            "ALTER TABLE payments ALTER COLUMN currency DROP NOT NULL;
             UPDATE payments SET currency = NULL;",
        )
        .await?;
    let r = get(&app, "/admin/payments", &[]).await?;
    assert_eq!(r.status(), 500);
    let body = r.text().await?;
    assert!(
        !body.contains("currency") && !body.contains("payments"),
        "{body}"
    );
    // The server is still up for the next request.
    assert_eq!(get(&app, "/admin/payments/stats", &[]).await?.status(), 200);
    Ok(())
}

/// The per-day and per-hour counts (`payment_day_counts`, `payment_hour_counts`) against the
/// payments themselves: every (day or hour, status) pair that differs, as text (empty when they
/// agree).
async fn count_drift(
    app: &TestApp,
) -> Result<Vec<String>, Box<dyn std::error::Error + Send + Sync>> {
    let db = app.db().await?;
    let rows = db
        .query(
            "SELECT COALESCE(a.day, b.day)::text || ' ' || COALESCE(a.status, b.status) || ': '
                    || COALESCE(a.n, 0) || ' vs ' || COALESCE(b.n, 0)
             FROM (SELECT (created_at AT TIME ZONE 'Asia/Kolkata')::date AS day, status, count(*) AS n
                   FROM payments GROUP BY 1, 2) a
             FULL JOIN (SELECT day, status, n FROM payment_day_counts WHERE n <> 0) b
               ON a.day = b.day AND a.status = b.status
             WHERE COALESCE(a.n, 0) <> COALESCE(b.n, 0)
             UNION ALL
             SELECT COALESCE(a.hour, b.hour)::text || ' ' || COALESCE(a.status, b.status) || ': '
                    || COALESCE(a.n, 0) || ' vs ' || COALESCE(b.n, 0)
             FROM (SELECT date_trunc('hour', created_at AT TIME ZONE 'Asia/Kolkata') AS hour, status, count(*) AS n
                   FROM payments GROUP BY 1, 2) a
             FULL JOIN (SELECT hour, status, n FROM payment_hour_counts WHERE n <> 0) b
               ON a.hour = b.hour AND a.status = b.status
             WHERE COALESCE(a.n, 0) <> COALESCE(b.n, 0) ORDER BY 1",
            &[],
        )
        .await?;
    Ok(rows.iter().map(|r| r.get(0)).collect())
}

/// What `migrate --check` refuses the schema for ("" when it accepts it).
async fn schema_refusal(config: &shared::runtime::config::Config) -> String {
    shared::migrations::check_schema(config)
        .await
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default()
}

fn capture_event(payment_id: &str, order_id: &str) -> Vec<u8> {
    serde_json::json!({
        "entity": "event", "account_id": "acc_test", "event": "payment.captured", "contains": ["payment"],
        "payload": { "payment": { "entity": {
            "id": payment_id, "entity": "payment", "amount": 24000, "currency": "INR",
            "status": "captured", "order_id": order_id, "captured": true, "notes": []
        }}}
    })
    .to_string()
    .into_bytes()
}

#[tokio::test]
async fn the_total_from_day_counts_equals_counting_every_row_for_every_filter() -> TestResult {
    let app = TestApp::spawn().await?;
    let f = family(
        &app,
        "Asha Rao",
        "asha@example.com",
        "+919800000001",
        "Kabir",
    )
    .await?;
    // Payments around IST midnights (18:29:59Z / 18:30:00Z), month ends and a day in between.
    let times = [
        "2026-10-31T18:29:59Z",
        "2026-10-31T18:30:00Z",
        "2026-11-01T06:00:00Z",
        "2026-11-14T18:29:59.999Z",
        "2026-11-14T18:30:00Z",
        "2026-11-20T10:00:00Z",
        "2026-11-30T18:29:00Z",
        "2026-11-30T18:31:00Z",
        "2026-12-02T00:00:00Z",
        // Inside India hours, and on their edges (IST hours start at UTC half hours).
        "2026-11-20T09:29:59Z",
        "2026-11-20T09:30:00Z",
        "2026-11-20T10:47:00Z",
        "2026-11-01T03:40:00Z",
    ];
    let statuses = ["captured", "failed", "created", "refunded", "authorized"];
    let mut n = 0;
    for (i, at) in times.iter().enumerate() {
        for (j, status) in statuses.iter().enumerate().take(1 + (i % 5)) {
            n += 1;
            payment(
                &app,
                &f,
                at,
                1000 + j as i64,
                status,
                &format!("pay_T{i}_{j}"),
            )
            .await?;
        }
    }
    // Status changes after the fact: two captured become refunded, one failed payment deleted.
    let db = app.db().await?;
    db.execute(
        "UPDATE payments SET status = 'refunded' WHERE razorpay_payment_id IN ('pay_T2_0', 'pay_T7_0')",
        &[],
    )
    .await?;
    db.execute(
        "DELETE FROM payments WHERE razorpay_payment_id = 'pay_T4_1'",
        &[],
    )
    .await?;
    n -= 1;
    assert!(count_drift(&app).await?.is_empty());

    let ranges: [(&str, &str); 12] = [
        ("", ""),
        ("2026-11-01", "2026-11-30"),
        ("2026-11-01", ""),
        ("", "2026-11-14"),
        ("2026-11-15", "2026-11-15"),
        ("2026-10-31T18:29:59Z", "2026-11-30T18:30:59Z"),
        ("2026-11-14T18:29:59.999Z", "2026-11-14T18:30:00Z"),
        ("2026-11-01T12:00:00+05:30", "2026-11-20T15:30:00+05:30"),
        ("2026-11-20T10:00:00Z", ""),
        // Whole India hours of partial days from the hour counts, minutes from the rows.
        ("2026-11-01T09:05:00+05:30", "2026-11-20T16:20:00+05:30"),
        ("2026-11-20T14:10:00+05:30", "2026-11-20T16:10:00+05:30"),
        ("2026-11-20T15:00:00+05:30", "2026-11-20T16:00:00+05:30"),
    ];
    let status_filters = ["", "captured", "captured,refunded", "failed", "all"];
    let mut checked = 0;
    for (from, to) in ranges {
        for status in status_filters {
            let mut query: Vec<(&str, &str)> = vec![("limit", "1")];
            if !from.is_empty() {
                query.push(("from", from));
            }
            if !to.is_empty() {
                query.push(("to", to));
            }
            if !status.is_empty() {
                query.push(("status", status));
            }
            let answer = get(&app, "/admin/payments", &query).await?;
            assert_eq!(answer.status(), 200, "{query:?}");
            let body: Value = answer.json().await?;
            // The same filters counted over every row, as the list did before the counts.
            let filters = shared::dashboard::filters::parse(
                &query
                    .iter()
                    .map(|(k, v)| (k.to_string(), vec![v.to_string()]))
                    .collect(),
                true,
            )?;
            let direct = shared::dashboard::store::count_payments(&db, &filters).await?;
            assert_eq!(body["total"], direct, "{query:?}");
            checked += 1;
        }
    }
    assert_eq!(checked, 60);
    let all: Value = get(&app, "/admin/payments", &[]).await?.json().await?;
    assert_eq!(all["total"], n);
    // With a text search the total is counted over the matching rows (the counts know no names).
    let searched: Value = get(&app, "/admin/payments", &[("q", "pay_T5_0")])
        .await?
        .json()
        .await?;
    assert_eq!(searched["total"], 1);
    Ok(())
}

#[tokio::test]
async fn concurrent_captures_and_status_changes_lose_no_count() -> TestResult {
    let app = TestApp::spawn().await?;
    let f = family(
        &app,
        "Ravi Iyer",
        "ravi@example.com",
        "+919800000002",
        "Meera",
    )
    .await?;
    let db = app.db().await?;
    // 60 orders waiting for their capture, today.
    for i in 0..60 {
        db.execute(
            "INSERT INTO payments (enrollment_id, parent_id, razorpay_order_id, amount, status)
             VALUES ($1, $2, $3, 24000, 'created')",
            &[&f.enrollment, &f.parent, &format!("order_C{i}")],
        )
        .await?;
    }
    // 30 older payments whose status admins change at the same time.
    for i in 0..30 {
        payment(
            &app,
            &f,
            "2026-11-03T08:00:00Z",
            1000,
            "captured",
            &format!("pay_S{i}"),
        )
        .await?;
    }
    let captures = (0..60).map(|i| {
        let app = &app;
        async move {
            let body = capture_event(&format!("pay_C{i}"), &format!("order_C{i}"));
            // Each capture delivered twice at once: one effect.
            let event = format!("evt_C{i}");
            let (a, b) = tokio::join!(
                app.post_webhook(&body, &event, None),
                app.post_webhook(&body, &event, None)
            );
            Ok::<_, reqwest::Error>((a?.status().as_u16(), b?.status().as_u16()))
        }
    });
    let changes = (0..30).map(|i| {
        let app = &app;
        async move {
            let db = app.db().await?;
            let to = if i % 2 == 0 { "refunded" } else { "failed" };
            db.execute(
                "UPDATE payments SET status = $1 WHERE razorpay_payment_id = $2",
                &[&to, &format!("pay_S{i}")],
            )
            .await?;
            Ok::<_, Box<dyn std::error::Error + Send + Sync>>(())
        }
    });
    let (captured, changed) = tokio::join!(
        futures::future::join_all(captures),
        futures::future::join_all(changes)
    );
    for c in captured {
        assert_eq!(c?, (200, 200));
    }
    for c in changed {
        c?;
    }
    assert!(
        count_drift(&app).await?.is_empty(),
        "{:?}",
        count_drift(&app).await?
    );
    let total: Value = get(&app, "/admin/payments", &[("status", "captured")])
        .await?
        .json()
        .await?;
    assert_eq!(total["total"], 60);
    let total: Value = get(&app, "/admin/payments", &[("status", "refunded,failed")])
        .await?
        .json()
        .await?;
    assert_eq!(total["total"], 30);
    Ok(())
}

#[tokio::test]
async fn the_counts_are_built_from_existing_rows_checked_and_repaired() -> TestResult {
    let app = TestApp::spawn().await?;
    let f = family(
        &app,
        "Nila Das",
        "nila@example.com",
        "+919800000003",
        "Tara",
    )
    .await?;
    let db = app.db().await?;
    // Rows written while no counts were kept (as before migration 0015): the trigger off.
    db.batch_execute(
        "ALTER TABLE payments DISABLE TRIGGER trg_payment_day_counts;
         DELETE FROM payment_day_counts; UPDATE payment_day_counts_state SET complete = FALSE;",
    )
    .await?;
    for i in 0..40 {
        let at = format!(
            "2026-{:02}-{:02}T{:02}:00:00Z",
            1 + i % 11,
            1 + i % 28,
            i % 24
        );
        payment(
            &app,
            &f,
            &at,
            500,
            ["captured", "failed"][i % 2],
            &format!("pay_B{i}"),
        )
        .await?;
    }
    db.batch_execute("ALTER TABLE payments ENABLE TRIGGER trg_payment_day_counts;")
        .await?;
    let config =
        shared::runtime::config::Config::default().with("DATABASE_URL", app.db_url.clone());
    // Not built yet: the list still answers exactly (it counts the rows), and the check says so.
    let before: Value = get(&app, "/admin/payments", &[]).await?.json().await?;
    assert_eq!(before["total"], 40);
    let err = schema_refusal(&config).await;
    assert!(err.contains("payment_day_counts: not built"), "{err}");

    // The build (migration 0016's CALL, 7 days a batch here) while captures keep arriving.
    let url = app.db_url.clone();
    let build = tokio::spawn(async move {
        let c = shared::clients::db::connect(&url).await?;
        c.batch_execute("CALL yt_build_payment_day_counts(7)")
            .await?;
        Ok::<_, anyhow::Error>(())
    });
    for i in 0..20 {
        payment(
            &app,
            &f,
            &format!("2026-11-{:02}T05:00:00Z", 1 + i),
            700,
            "captured",
            &format!("pay_D{i}"),
        )
        .await?;
    }
    build.await??;
    assert!(
        count_drift(&app).await?.is_empty(),
        "{:?}",
        count_drift(&app).await?
    );
    assert_eq!(
        shared::migrations::check_schema(&config).await?["differences"],
        serde_json::json!([])
    );
    let after: Value = get(&app, "/admin/payments", &[("status", "captured")])
        .await?
        .json()
        .await?;
    assert_eq!(after["total"], 40);

    // Counts gone wrong (hand edits): the check names them, the repair fixes them.
    db.batch_execute(
        "UPDATE payment_day_counts SET n = n + 3 WHERE (day, status) = (SELECT day, status FROM payment_day_counts ORDER BY day LIMIT 1);
         DELETE FROM payment_hour_counts WHERE (hour, status) = (SELECT hour, status FROM payment_hour_counts ORDER BY hour DESC LIMIT 1);",
    )
    .await?;
    let err = schema_refusal(&config).await;
    assert!(
        err.contains("payment_day_counts: 2026-") && err.contains("the count says"),
        "{err}"
    );
    assert!(
        err.contains("payment_hour_counts: 2026-") && err.contains("the count says 0"),
        "{err}"
    );
    let repaired = shared::migrations::repair_counts_at(&app.db_url).await?;
    assert_eq!(repaired["differences"], serde_json::json!([]));
    assert!(count_drift(&app).await?.is_empty());
    Ok(())
}
