//! Benchmark of the admin payments dashboard at a million payments. Not a test: it prints
//! p50/p99 of list, stats and a month's export through the handler, beside the same SQL run
//! directly and the seed's approach (download the month's captured rows and sum them here).
//!
//! `--scale` measures the list alone at 100k, 1M (and, with `BENCH_PAYMENTS_10M=1`, 10M)
//! payments in one run: the handler (page + exact total from the day and hour counts) beside the
//! page's rows alone and the total counted over every matching row (the list before issue 26).
//!
//! `cargo run --release -p devtools --bin bench-payments [-- --scale]` — uses `BENCH_DATABASE_URL`, else the
//! embedded cluster under `.dev/pg` (database `bench_payments`). Seeding runs once. With
//! `AWS_ENDPOINT_URL` pointing at moto it also exports all million rows twice, each in a child
//! process, and prints the peak memory of the streaming export beside the collect-then-write one.
use anyhow::Context;
use chrono::{Duration, Utc};
use devtools::pg;
use devtools::stats::percentile;
use lambda_http::RequestExt;
use shared::dashboard::{filters, handler, store};
use shared::runtime::config::Config;
use shared::runtime::context::AppContext;
use std::collections::HashMap;
use std::time::Instant;

const PAYMENTS: i64 = 1_000_000;
const SECRET: &str = "bench-secret-bench-secret-bench-secret";

async fn seed(db: &tokio_postgres::Client) -> anyhow::Result<()> {
    seed_n(db, PAYMENTS).await
}

/// `n` payments over the last 540 days (the bulk insert without the per-row count trigger; the
/// per-day counts are then built by migration 0016's procedure, timed).
async fn seed_n(db: &tokio_postgres::Client, n: i64) -> anyhow::Result<()> {
    let have: i64 = db
        .query_one("SELECT COUNT(*) FROM payments", &[])
        .await?
        .get(0);
    if have == n {
        println!("seed: {have} payments already there");
        return Ok(());
    }
    let t = Instant::now();
    db.batch_execute("ALTER TABLE payments DISABLE TRIGGER trg_payment_day_counts")
        .await?;
    let sql = "TRUNCATE payments, enrollment_terminations, failed_payments, enrollments, children, parents CASCADE;
         INSERT INTO parents (id, user_id, name, email, phone)
           SELECT md5('p' || g)::uuid, gen_random_uuid(), 'Parent ' || g, 'parent' || g || '@example.com', '+9198' || lpad(g::text, 8, '0')
           FROM generate_series(1, 60000) g;
         INSERT INTO children (id, parent_id, name)
           SELECT md5('c' || g)::uuid, md5('p' || (1 + g % 60000))::uuid, 'Child ' || g FROM generate_series(1, 90000) g;
         INSERT INTO enrollments (id, child_id, parent_id, status, sessions_total, child_name)
           SELECT md5('e' || g)::uuid, md5('c' || g)::uuid, md5('p' || (1 + g % 60000))::uuid, 'active', 8, 'Child ' || g
           FROM generate_series(1, 90000) g;
         -- 1M payments over the last 540 days, more recent ones denser; 84% captured, 10% failed,
         -- 3% refunded, 3% created.
         INSERT INTO payments (enrollment_id, parent_id, razorpay_order_id, razorpay_payment_id, amount, currency, status, captured_at, created_at)
           SELECT md5('e' || (1 + g % 90000))::uuid, md5('p' || (1 + (g % 90000) % 60000))::uuid,
                  'order_b' || g, 'pay_b' || g, (50 + (g::BIGINT * 7919) % 400) * 100, 'INR', s.status,
                  CASE WHEN s.status IN ('captured', 'refunded') THEN s.at END, s.at
           FROM generate_series(1, {N}) g,
           LATERAL (SELECT CASE WHEN g % 100 < 84 THEN 'captured' WHEN g % 100 < 94 THEN 'failed'
                                WHEN g % 100 < 97 THEN 'refunded' ELSE 'created' END AS status,
                           NOW() - make_interval(secs => (540 * 86400) * power(((g::BIGINT * 104729) % {N}) / {N}.0, 1.6)) AS at) s;
         INSERT INTO enrollment_terminations (enrollment_id, terminated_by, termination_reason, sessions_total, sessions_completed,
             sessions_remaining, original_amount, refund_amount, coach_settlement_amount, platform_retention, razorpay_payment_id,
             created_by, refund_status, refund_initiated_at, created_at)
           SELECT p.enrollment_id, 'admin', 'benchmark refund', 8, 3, 5, p.amount, p.amount * 5 / 8, p.amount * 3 / 16,
                  p.amount - p.amount * 5 / 8 - p.amount * 3 / 16, p.razorpay_payment_id, 'bench',
                  CASE WHEN random() < 0.9 THEN 'completed' ELSE 'processing' END, p.captured_at + INTERVAL '3 days', p.captured_at + INTERVAL '3 days'
           FROM (SELECT DISTINCT ON (enrollment_id) * FROM payments WHERE status = 'refunded' ORDER BY enrollment_id, created_at DESC) p;
         INSERT INTO failed_payments (razorpay_payment_id, razorpay_order_id, amount, converted_at, created_at)
           SELECT razorpay_payment_id, razorpay_order_id, amount, CASE WHEN random() < 0.4 THEN created_at + INTERVAL '1 hour' END, created_at
           FROM payments WHERE status = 'failed';
         ANALYZE;";
    db.batch_execute(&sql.replace("{N}", &n.to_string()))
        .await?;
    db.batch_execute("ALTER TABLE payments ENABLE TRIGGER trg_payment_day_counts")
        .await?;
    println!("seed: {n} payments in {:.1}s", t.elapsed().as_secs_f64());
    let t = Instant::now();
    // Alone in its query: a procedure that commits cannot run inside a multi-statement one.
    db.batch_execute("CALL yt_build_payment_day_counts(31)")
        .await?;
    db.batch_execute("ANALYZE payment_day_counts").await?;
    println!(
        "seed: per-day and per-hour counts built from {n} payments in {:.1}s (the procedure of migrations 0016 and 0022)",
        t.elapsed().as_secs_f64()
    );
    Ok(())
}

async fn time<F, Fut>(n: usize, mut f: F) -> anyhow::Result<(f64, f64)>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<()>>,
{
    f().await?; // warm-up
    let mut ms = Vec::with_capacity(n);
    for _ in 0..n {
        let t = Instant::now();
        f().await?;
        ms.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    ms.sort_by(|a, b| a.total_cmp(b));
    Ok((percentile(&ms, 0.5), percentile(&ms, 0.99)))
}

fn params(query: &[(&str, &str)]) -> HashMap<String, Vec<String>> {
    let mut map: HashMap<String, Vec<String>> = HashMap::new();
    for (k, v) in query {
        map.entry(k.to_string()).or_default().push(v.to_string());
    }
    map
}

/// One request through an HTTP function's handler, as its Lambda would run it.
async fn call(
    ctx: &AppContext,
    function: &str,
    path: &str,
    query: &[(&str, &str)],
    token: &str,
) -> anyhow::Result<()> {
    let function = shared::functions::find(function).context("unknown function")?;
    let status = function
        .call_http(ctx, request(path, query, token))
        .await
        .context("not an HTTP function")?
        .status();
    anyhow::ensure!(status == 200, "handler answered {status}");
    Ok(())
}

fn request(path: &str, query: &[(&str, &str)], token: &str) -> lambda_http::Request {
    let qs: Vec<String> = query.iter().map(|(k, v)| format!("{k}={v}")).collect();
    let uri = format!("http://bench{path}?{}", qs.join("&"));
    let map = params(query);
    let mut req = lambda_http::Request::new(lambda_http::Body::Empty);
    *req.uri_mut() = uri.parse().unwrap_or_default();
    if let Ok(v) = http::HeaderValue::from_str(&format!("Bearer {token}")) {
        req.headers_mut().insert("authorization", v);
    }
    req.with_query_string_parameters(map)
}

/// Peak resident memory of this process so far (`VmHWM`), in MB.
fn peak_rss_mb() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<f64>().ok())
        })
        .map(|kb| kb / 1024.0)
        .unwrap_or(f64::NAN)
}

/// A child process that makes one export of every payment and prints its peak memory:
/// `streaming` through the handler (rows → CSV → S3 multipart), `collected` the way the export
/// worked before (every row, then the whole CSV, then a copy of it for the upload).
async fn export_child(url: &str, mode: &str) -> anyhow::Result<()> {
    let bucket = std::env::var("BENCH_EXPORTS_BUCKET")?;
    let ctx = shared::functions::context(
        Config::from_pairs([
            ("DATABASE_URL", url),
            ("SUPABASE_JWT_SECRET", SECRET),
            ("EXPORTS_BUCKET", bucket.as_str()),
        ]),
        1,
    )
    .await?;
    let started = Instant::now();
    let before = peak_rss_mb();
    let bytes = match mode {
        "streaming" => {
            let token = shared::runtime::auth::sign_token(
                SECRET,
                "bench-admin",
                None,
                Some("admin"),
                3600,
            )?;
            let f = shared::functions::find("payments-list").context("payments-list")?;
            let resp = f
                .call_http(&ctx, request("/admin/payments/export", &[], &token))
                .await
                .context("not HTTP")?;
            anyhow::ensure!(resp.status() == 202, "export answered {}", resp.status());
            let body: serde_json::Value = serde_json::from_slice(resp.body().as_ref())?;
            body["bytes"].as_u64().unwrap_or(0)
        }
        _ => {
            let all = filters::parse(&HashMap::new(), false)
                .map_err(|e| anyhow::anyhow!(e.to_string()))?;
            let client = ctx.pool.get().await?;
            let rows = store::export_payments(&**client, &all, i64::MAX).await?;
            let csv = shared::dashboard::export::to_csv(&rows)?;
            let upload = csv.clone();
            let n = upload.len() as u64;
            drop((rows, csv, upload));
            n
        }
    };
    println!(
        "{mode} rss_before_mb={before:.1} peak_rss_mb={:.1} bytes={bytes} secs={:.1}",
        peak_rss_mb(),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// Runs both children on the same data and prints their peaks side by side.
async fn export_memory(url: &str) -> anyhow::Result<()> {
    if std::env::var_os("AWS_ENDPOINT_URL").is_none() {
        println!(
            "\nexport memory: skipped (set AWS_ENDPOINT_URL to a moto server for the S3 upload)"
        );
        return Ok(());
    }
    let bucket = format!("bench-exports-{}", std::process::id());
    devtools::s3::create_bucket(&bucket).await?;
    println!("\nexport of all {PAYMENTS} payments, each in its own process (peak RSS = VmHWM):");
    println!("| export | peak RSS MB | CSV MB | seconds | vs collected |");
    println!("|---|---:|---:|---:|---:|");
    let mut peaks = Vec::new();
    for mode in ["collected", "streaming"] {
        let out = std::process::Command::new(std::env::current_exe()?)
            .args(["--export-child", mode])
            .env("BENCH_DATABASE_URL", url)
            .env("BENCH_EXPORTS_BUCKET", &bucket)
            .env("RUST_LOG", "warn")
            .output()?;
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        anyhow::ensure!(
            out.status.success(),
            "{mode} export failed: {text} {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let field = |k: &str| {
            text.split_whitespace()
                .find_map(|w| w.strip_prefix(&format!("{k}=")))
                .and_then(|v| v.parse::<f64>().ok())
                .unwrap_or(f64::NAN)
        };
        let peak = field("peak_rss_mb");
        peaks.push(peak);
        println!(
            "| {mode} | {peak:.1} | {:.1} | {:.1} | {:.2}x |",
            field("bytes") / 1e6,
            field("secs"),
            peak / peaks[0]
        );
    }
    Ok(())
}

/// One filter's p50s in ms: through the handler, the page's rows alone, the total counted over
/// every matching row.
type P50s = (f64, f64, f64);

/// The URL of database `name` on the server of `base` (created when missing).
async fn database_on(base: &str, name: &str) -> anyhow::Result<String> {
    pg::ensure_database(base, name).await?;
    let (server, _) = base.rsplit_once('/').context("a database URL")?;
    Ok(format!("{server}/{name}"))
}

/// `--scale`: the list's p50 for each filter at 100k and 1M payments (and 10M with
/// `BENCH_PAYMENTS_10M=1`) in one run, each in its own database, a filter's requests going round
/// the sizes one at a time: through the handler (page + exact total), the page's rows alone, and
/// the total counted over every matching row as the list did before the per-day counts.
async fn scale(base: &str) -> anyhow::Result<()> {
    let mut sizes: Vec<i64> = vec![100_000, 1_000_000];
    if std::env::var("BENCH_PAYMENTS_10M").is_ok_and(|v| v == "1") {
        sizes.push(10_000_000);
    }
    let n: usize = std::env::var("BENCH_ITERATIONS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(15);
    let today = Utc::now()
        .with_timezone(&chrono_tz::Asia::Kolkata)
        .date_naive();
    let d90 = (today - Duration::days(90)).to_string();
    let today_s = today.to_string();
    let mid45 = format!("{}T14:30:00+05:30", today - Duration::days(45));
    let filters: Vec<(&str, Vec<(&str, &str)>)> = vec![
        ("no filter", vec![]),
        ("status=captured", vec![("status", "captured")]),
        (
            "status=captured&page=100",
            vec![("status", "captured"), ("page", "100")],
        ),
        (
            "status=captured,refunded",
            vec![("status", "captured,refunded")],
        ),
        (
            "90 days",
            vec![("from", d90.as_str()), ("to", today_s.as_str())],
        ),
        (
            "90 days + captured",
            vec![
                ("from", d90.as_str()),
                ("to", today_s.as_str()),
                ("status", "captured"),
            ],
        ),
        (
            "from an instant 45 days ago",
            vec![("from", mid45.as_str())],
        ),
    ];
    let token =
        shared::runtime::auth::sign_token(SECRET, "bench-admin", None, Some("admin"), 3600)?;
    // Every size seeded and connected first; then each filter's requests go round the sizes one
    // at a time, so that the machine's slower and faster moments fall on every size alike and
    // the ratios compare like with like.
    let mut dbs = Vec::new();
    for size in &sizes {
        let url = database_on(base, &format!("bench_payments_{size}")).await?;
        let mut db = shared::clients::db::connect(&url).await?;
        let t = Instant::now();
        let applied = shared::migrations::migrate(&mut db).await?;
        if !applied.is_empty() {
            println!(
                "migrate at {size}: {} in {:.1}s",
                applied.join(", "),
                t.elapsed().as_secs_f64()
            );
        }
        seed_n(&db, *size).await?;
        let ctx = shared::functions::context(
            Config::from_pairs([
                ("DATABASE_URL", url.as_str()),
                ("SUPABASE_JWT_SECRET", SECRET),
            ]),
            2,
        )
        .await?;
        dbs.push((*size, ctx));
    }
    let mut pooled = Vec::new();
    for (_, ctx) in &dbs {
        pooled.push(ctx.pool.get().await?);
    }
    let mut rows_by_filter: Vec<Vec<P50s>> = Vec::new();
    for (_, q) in &filters {
        let mut query = q.clone();
        query.push(("limit", "20"));
        let parsed =
            filters::parse(&params(&query), true).map_err(|e| anyhow::anyhow!(e.to_string()))?;
        // [measure][size] samples in ms: the handler, the rows alone, the old total.
        let mut samples = vec![vec![Vec::new(); dbs.len()]; 3];
        for (measure, per_size) in samples.iter_mut().enumerate() {
            for round in 0..=n {
                for (i, (_, ctx)) in dbs.iter().enumerate() {
                    let t = Instant::now();
                    match measure {
                        0 => call(ctx, "payments-list", "/admin/payments", &query, &token).await?,
                        1 => {
                            store::list_payments(&**pooled[i], &parsed).await?;
                        }
                        _ => {
                            store::count_payments(&**pooled[i], &parsed).await?;
                        }
                    }
                    // Round 0 warms up.
                    if round > 0 {
                        per_size[i].push(t.elapsed().as_secs_f64() * 1000.0);
                    }
                }
            }
        }
        let mut p50 = |measure: usize, size: usize| {
            let v = &mut samples[measure][size];
            v.sort_by(|a, b| a.total_cmp(b));
            percentile(v, 0.5)
        };
        rows_by_filter.push(
            (0..dbs.len())
                .map(|i| (p50(0, i), p50(1, i), p50(2, i)))
                .collect(),
        );
    }
    let table: Vec<(i64, Vec<P50s>)> = dbs
        .iter()
        .enumerate()
        .map(|(i, (size, _))| (*size, rows_by_filter.iter().map(|r| r[i]).collect()))
        .collect();
    println!("\nlist p50 (ms, {n} requests each) by table size; the handler answers the page and its exact total:");
    let mut head = String::from("| filter |");
    let mut rule = String::from("|---|");
    for (size, _) in &table {
        head.push_str(&format!(
            " handler @{size} | rows alone @{size} | old total @{size} |"
        ));
        rule.push_str("---:|---:|---:|");
    }
    for (size, _) in table.iter().skip(1) {
        head.push_str(&format!(" handler {size}/100k |"));
        rule.push_str("---:|");
    }
    println!("{head}\n{rule}");
    for (i, (name, _)) in filters.iter().enumerate() {
        let mut line = format!("| {name} |");
        for (_, row) in &table {
            let (h, r, c) = row[i];
            line.push_str(&format!(" {h:.2} | {r:.2} | {c:.2} |"));
        }
        let base = table[0].1[i].0;
        for (_, row) in table.iter().skip(1) {
            line.push_str(&format!(" {:.2}× |", row[i].0 / base.max(1e-9)));
        }
        println!("{line}");
    }
    Ok(())
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    shared::runtime::telemetry::init();
    let args: Vec<String> = std::env::args().collect();
    if let Some(i) = args.iter().position(|a| a == "--export-child") {
        let url = std::env::var("BENCH_DATABASE_URL")?;
        return export_child(
            &url,
            args.get(i + 1).map(String::as_str).unwrap_or("streaming"),
        )
        .await;
    }
    let url = match std::env::var("BENCH_DATABASE_URL") {
        Ok(u) => u,
        Err(_) => {
            let c = pg::Cluster::new(&std::env::current_dir()?.join(".dev").join("pg"), 54329)?;
            c.start()?;
            pg::ensure_database(&c.admin_url(), "bench_payments").await?;
            c.url("bench_payments")
        }
    };
    if args.iter().any(|a| a == "--scale") {
        let base = match std::env::var("BENCH_DATABASE_URL") {
            Ok(u) => u,
            Err(_) => {
                let c = pg::Cluster::new(&std::env::current_dir()?.join(".dev").join("pg"), 54329)?;
                c.start()?;
                c.admin_url()
            }
        };
        return scale(&base).await;
    }
    let mut db = shared::clients::db::connect(&url)
        .await
        .context("bench database")?;
    shared::migrations::migrate(&mut db).await?;
    seed(&db).await?;
    if std::env::var_os("AWS_REGION").is_none() {
        std::env::set_var("AWS_REGION", "ap-south-1");
    }
    let ctx = shared::functions::context(
        Config::from_pairs([
            ("DATABASE_URL", url.as_str()),
            ("SUPABASE_JWT_SECRET", SECRET),
            // Measure building the CSV; the S3 upload above 5.5 MB is not part of this number.
            ("EXPORT_INLINE_MAX_BYTES", "1000000000"),
        ]),
        2,
    )
    .await?;
    let token =
        shared::runtime::auth::sign_token(SECRET, "bench-admin", None, Some("admin"), 3600)?;
    let n: usize = std::env::var("BENCH_ITERATIONS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(40);

    // A month of data: the last full Indian month.
    let now = Utc::now();
    let (_, this_month) = handler::ist_periods(now);
    let (_, last_month) = handler::ist_periods(this_month.0 - Duration::days(1));
    let ist = |t: chrono::DateTime<Utc>| {
        t.with_timezone(&chrono_tz::Asia::Kolkata)
            .date_naive()
            .to_string()
    };
    let (m_from, m_to) = (ist(last_month.0), ist(last_month.1 - Duration::days(1)));
    let list_q: Vec<(&str, &str)> = vec![("status", "captured"), ("limit", "20"), ("page", "3")];
    let export_q: Vec<(&str, &str)> = vec![("from", m_from.as_str()), ("to", m_to.as_str())];
    let mut list_params: HashMap<String, Vec<String>> = HashMap::new();
    for (k, v) in &list_q {
        list_params
            .entry(k.to_string())
            .or_default()
            .push(v.to_string());
    }
    let list_filters =
        filters::parse(&list_params, true).map_err(|e| anyhow::anyhow!(e.to_string()))?;
    let mut export_params: HashMap<String, Vec<String>> = HashMap::new();
    for (k, v) in &export_q {
        export_params
            .entry(k.to_string())
            .or_default()
            .push(v.to_string());
    }
    let export_filters =
        filters::parse(&export_params, false).map_err(|e| anyhow::anyhow!(e.to_string()))?;
    // Direct SQL goes through a pooled connection too, as the handler's does.
    let pooled = ctx.pool.get().await?;
    let month_rows = store::export_payments(&**pooled, &export_filters, i64::MAX)
        .await?
        .len();
    println!("month {m_from}..{m_to}: {month_rows} payments; {n} iterations per measure\n");

    let mut results: Vec<(String, (f64, f64))> = Vec::new();

    results.push((
        "list: handler".into(),
        time(n, || {
            call(&ctx, "payments-list", "/admin/payments", &list_q, &token)
        })
        .await?,
    ));
    results.push((
        "list: direct SQL".into(),
        time(n, || async {
            let (a, b) = tokio::join!(
                store::count_payments(&**pooled, &list_filters),
                store::list_payments(&**pooled, &list_filters)
            );
            a?;
            b?;
            Ok(())
        })
        .await?,
    ));
    results.push((
        "stats: handler".into(),
        time(n, || {
            call(&ctx, "payments-stats", "/admin/payments/stats", &[], &token)
        })
        .await?,
    ));
    let (day, month) = handler::ist_periods(now);
    results.push((
        "stats: direct SQL".into(),
        time(n, || async {
            store::stats(&**pooled, day, month).await?;
            Ok(())
        })
        .await?,
    ));
    results.push((
        "stats: seed approach".into(),
        time(n.min(10), || async {
            // The seed: fetch every captured row of today and of the month, sum in the app, in UTC.
            let utc_today = now
                .date_naive()
                .and_hms_opt(0, 0, 0)
                .unwrap_or_default()
                .and_utc();
            let utc_month = now
                .date_naive()
                .with_day0(0)
                .unwrap_or(now.date_naive())
                .and_hms_opt(0, 0, 0)
                .unwrap_or_default()
                .and_utc();
            let today: i64 = pooled
                .query(
                    "SELECT amount FROM payments WHERE status = 'captured' AND created_at >= $1",
                    &[&utc_today],
                )
                .await?
                .iter()
                .map(|r| r.get::<_, i64>(0))
                .sum();
            let month: i64 = pooled
                .query(
                    "SELECT amount FROM payments WHERE status = 'captured' AND created_at >= $1",
                    &[&utc_month],
                )
                .await?
                .iter()
                .map(|r| r.get::<_, i64>(0))
                .sum();
            let failed = pooled
                .query(
                    "SELECT id FROM failed_payments WHERE converted_at IS NULL",
                    &[],
                )
                .await?
                .len();
            let pending = pooled
                .query(
                    "SELECT id FROM enrollment_terminations WHERE refund_status = 'pending'",
                    &[],
                )
                .await?
                .len();
            std::hint::black_box((today, month, failed, pending));
            Ok(())
        })
        .await?,
    ));
    let export_n = (n / 4).max(3);
    results.push((
        "export month: handler".into(),
        time(export_n, || {
            call(
                &ctx,
                "payments-list",
                "/admin/payments/export",
                &export_q,
                &token,
            )
        })
        .await?,
    ));
    results.push((
        "export month: direct SQL".into(),
        time(export_n, || async {
            store::export_payments(&**pooled, &export_filters, i64::MAX).await?;
            Ok(())
        })
        .await?,
    ));

    println!("| measure | p50 ms | p99 ms | p50 vs direct SQL |");
    println!("|---|---:|---:|---:|");
    let direct = |prefix: &str| {
        results
            .iter()
            .find(|(k, _)| k.starts_with(prefix) && k.ends_with("direct SQL"))
            .map(|(_, v)| v.0)
    };
    for (name, (p50, p99)) in &results {
        let base = direct(name.split(':').next().unwrap_or(""));
        let ratio = base
            .map(|b| format!("{:.2}×", p50 / b.max(1e-9)))
            .unwrap_or_default();
        println!("| {name} | {p50:.2} | {p99:.2} | {ratio} |");
    }

    let plan = |sql: String, n_params: usize| {
        let db = &db;
        let list_filters = &list_filters;
        async move {
            let from = list_filters.from;
            let to = list_filters.to;
            let statuses = list_filters.statuses.clone();
            let q: Option<String> = None;
            let (limit, offset) = (
                list_filters.limit,
                (list_filters.page - 1) * list_filters.limit,
            );
            let params: [&(dyn tokio_postgres::types::ToSql + Sync); 7] =
                [&from, &to, &statuses, &q, &q, &limit, &offset];
            let rows = db.query(&sql, &params[..n_params]).await?;
            for r in rows {
                println!("  {}", r.get::<_, String>(0));
            }
            Ok::<_, anyhow::Error>(())
        }
    };
    println!("\nEXPLAIN (ANALYZE) of the list page (status=captured, page 3):");
    plan(format!("EXPLAIN (ANALYZE, COSTS OFF) {} WHERE {} ORDER BY p.created_at DESC, p.id DESC LIMIT $6 OFFSET $7", store::SELECT_ROWS, store::FILTER), 7).await?;
    println!("\nEXPLAIN (ANALYZE) of the list total:");
    plan(
        format!(
            "EXPLAIN (ANALYZE, COSTS OFF) SELECT COUNT(*) FROM payments p WHERE {}",
            store::FILTER
        ),
        5,
    )
    .await?;

    export_memory(&url).await?;

    println!("\nEXPLAIN (ANALYZE) of the stats query:");
    let explain = format!("EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) {}", store::STATS_SQL);
    for r in db
        .query(&explain, &[&day.0, &day.1, &month.0, &month.1])
        .await?
    {
        println!("  {}", r.get::<_, String>(0));
    }
    Ok(())
}

use chrono::Datelike;
