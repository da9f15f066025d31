//! The nightly lead scoring at scale: 1,000,000 leads with 5,000,000 communication rows
//! (BENCH_LEADS changes the size; rows are 5 per lead). Times the cron's first run (every lead),
//! an unchanged night (its rerun: nothing to score), ordinary nights (BENCH_NIGHTS, default 3,
//! each a day after the last: 1% of the leads with new messages, 0.25% with an assessment or a
//! call, the window a day older; their median is the night's number) and a full rescoring of the
//! last (which must change nothing), and the seed's approach — read each lead with its
//! messages, score it in the app, one UPDATE per child — on a sample (BENCH_SEED_SAMPLE, default
//! 2,000 leads), extrapolated to all leads. Not a test: it prints the numbers.
//!
//! With BENCH_DEADLINE_SECONDS the first run is made as Lambda invocations under that deadline,
//! each going on where the last stopped (for 10,000,000 leads: BENCH_LEADS=10000000 and 900).
//!
//! TEST_DATABASE_URL=postgres://… cargo run --release -p devtools --bin bench-lead-scoring
use chrono::{DateTime, Duration, Utc};
use shared::leads::lead_score::{score, Facts, WINDOW_DAYS};
use std::time::Instant;
use uuid::Uuid;

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Ordinary nights after the first run (BENCH_NIGHTS, default 3, one after the other): each a day
/// after the last, with the day's writes — new messages (inbound and outbound, in the day) for
/// 1% of the leads, assessments done for 0.125% and discovery calls booked for 0.125%, other
/// leads each day — and the window's own ageing (a day of messages leaves it). Before each
/// day's writes `VACUUM ANALYZE` does what autovacuum does in a day. Each night is timed; the
/// median is the night's number (one night varies by a tenth of itself between runs). The last
/// is checked against scoring every lead at its now (`{"full": true}`: it must change nothing).
/// Answers the table of the runs.
async fn nights(
    db: &tokio_postgres::Client,
    ctx: &shared::runtime::context::AppContext,
    now: DateTime<Utc>,
    leads: i64,
    first_s: f64,
    unchanged_s: f64,
) -> anyhow::Result<String> {
    let count = env_usize("BENCH_NIGHTS", 3).max(1);
    let mut rows = String::new();
    let mut secs: Vec<f64> = Vec::new();
    let mut day_start = now;
    for day in 1..=count {
        if day > 1 {
            db.batch_execute("VACUUM ANALYZE children, communication_logs, lead_score_changes")
                .await?;
        }
        let next = day_start + Duration::days(1);
        let salt = format!("night-{day}");
        let t = Instant::now();
        db.execute(
            "INSERT INTO communication_logs (parent_id, child_id, channel, direction, status, created_at)
             SELECT c.parent_id, c.id, 'whatsapp', d.direction, d.status,
                    $1::timestamptz + make_interval(secs => (abs(hashtext(c.id::text)) % 80000)::float8 + d.k * 600)
             FROM (SELECT id, parent_id FROM children WHERE status = 'lead' ORDER BY md5(id::text || $3) LIMIT $2) c,
                  (VALUES ('outbound', 'sent', 0), ('inbound', 'received', 1)) d(direction, status, k)",
            &[&day_start, &(leads / 100), &salt],
        )
        .await?;
        db.execute(
            "UPDATE children SET assessment_completed = TRUE
             WHERE id IN (SELECT id FROM children WHERE status = 'lead' AND NOT assessment_completed
                          ORDER BY md5(id::text || 'a' || $2) LIMIT $1)",
            &[&(leads / 800), &salt],
        )
        .await?;
        db.execute(
            "INSERT INTO discovery_calls (parent_email, child_name, status, cal_booking_uid, child_id)
             SELECT 'p@example.com', 'x', 'scheduled', $2 || '-' || id, id
             FROM (SELECT id FROM children WHERE status = 'lead' ORDER BY md5(id::text || 'd' || $2) LIMIT $1) c",
            &[&(leads / 800), &salt],
        )
        .await?;
        let day_writes = t.elapsed().as_secs_f64();
        let marked: i64 = db
            .query_one("SELECT count(*) FROM lead_score_dirty", &[])
            .await?
            .get(0);
        let t = Instant::now();
        let ordinary = shared::leads::cron::run(ctx, next).await?;
        let ordinary_s = t.elapsed().as_secs_f64();
        anyhow::ensure!(ordinary.complete, "night {day} did not complete");
        secs.push(ordinary_s);
        rows.push_str(&format!(
            "| ordinary night {day} ({marked} leads marked by the day's writes, made in {day_writes:.1} s; the window a day older) | {} | {} | {ordinary_s:.2} | {:.3}× |\n",
            ordinary.scored,
            ordinary.changed,
            ordinary_s / first_s,
        ));
        day_start = next;
    }
    secs.sort_by(|a, b| a.total_cmp(b));
    let median = devtools::stats::percentile(&secs, 0.5);
    let t = Instant::now();
    let full = shared::leads::LEAD_SCORING
        .call_event(
            ctx,
            serde_json::json!({"now": day_start.to_rfc3339(), "full": true}),
        )
        .await?;
    let full_s = t.elapsed().as_secs_f64();
    anyhow::ensure!(
        full["changed"] == 0 && full["tierChanges"] == 0,
        "scoring every lead after the last ordinary night changed something: {full}"
    );
    Ok(format!(
        "| night at {leads} leads | leads scored | rows written | seconds | vs the first run |\n|---|---:|---:|---:|---:|\n\
         | first run (every lead) | {leads} | — | {first_s:.1} | 1.00× |\n\
         | unchanged night (same now, nothing written) | 0 | 0 | {unchanged_s:.2} | {:.3}× |\n\
         {rows}\
         | **ordinary night, median of {count}** | | | {median:.2} | **{:.3}×** |\n\
         | check: every lead at the last night's now (`full`) | {} | {} | {full_s:.1} | {:.3}× |\n",
        unchanged_s / first_s,
        median / first_s,
        full["scored"],
        full["changed"],
        full_s / first_s,
    ))
}

/// The first run as Lambda would make it when it does not fit one invocation: each invocation
/// under a deadline of `secs` (Lambda's is 900), the next one (a minute later) going on where the
/// last stopped, until one completes. Prints each invocation; answers the last one's report.
async fn first_by_invocations(
    ctx: &shared::runtime::context::AppContext,
    now: DateTime<Utc>,
    secs: u64,
) -> anyhow::Result<shared::leads::cron::RunReport> {
    for i in 0.. {
        let at = now + Duration::minutes(i);
        let t = Instant::now();
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(secs);
        let report =
            shared::runtime::function::with_deadline(deadline, shared::leads::cron::run(ctx, at))
                .await?;
        println!(
            "first run, invocation {} (deadline {secs} s): scored {}, complete {}, {:.1} s",
            i + 1,
            report.scored,
            report.complete,
            t.elapsed().as_secs_f64()
        );
        if report.complete {
            return Ok(report);
        }
    }
    anyhow::bail!("unreachable")
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let leads = env_usize("BENCH_LEADS", 1_000_000) as i64;
    let sample = env_usize("BENCH_SEED_SAMPLE", 2_000) as i64;
    let url = devtools::testdb::fresh_database().await?;
    let db = shared::clients::db::connect(&url).await?;
    let t = Instant::now();
    // Families of one or two children; 80% of the messages name the child, 20% only the parent;
    // directions alternate, one outbound in ten was skipped; 60 days of history; a fifth of the
    // leads have a discovery call, one in eight of those cancelled.
    db.batch_execute(&format!(
        "ALTER TABLE children DISABLE TRIGGER trg_children_link_discovery_calls;
         ALTER TABLE children DISABLE TRIGGER trg_lead_dirty_child;
         ALTER TABLE communication_logs DISABLE TRIGGER trg_lead_dirty_message;
         ALTER TABLE discovery_calls DISABLE TRIGGER trg_lead_dirty_call;
         INSERT INTO parents (id, name, email)
           SELECT md5('p' || g)::uuid, 'Parent ' || g, 'p' || g || '@example.com'
           FROM generate_series(1, {parents}) g;
         INSERT INTO children (id, parent_id, name, status, assessment_completed)
           SELECT md5('c' || g)::uuid, md5('p' || (1 + g % {parents}))::uuid, 'Child ' || g, 'lead', g % 3 = 0
           FROM generate_series(1, {leads}) g;
         INSERT INTO communication_logs (parent_id, child_id, channel, direction, status, created_at)
           SELECT md5('p' || (1 + c % {parents}))::uuid,
                  CASE WHEN m % 5 = 4 THEN NULL ELSE md5('c' || c)::uuid END,
                  'whatsapp',
                  CASE WHEN m % 2 = 0 THEN 'outbound' ELSE 'inbound' END,
                  CASE WHEN m % 2 = 1 THEN 'received' WHEN (c + m) % 10 = 0 THEN 'skipped' ELSE 'sent' END,
                  TIMESTAMPTZ '2026-11-24 20:30:00+00' - make_interval(secs => ((c::bigint * 7919 + m * 104729) % (60 * 86400))::float8)
           FROM generate_series(1, {leads}) c, generate_series(0, 4) m;
         INSERT INTO discovery_calls (parent_email, child_name, status, cal_booking_uid, child_id)
           SELECT 'p@example.com', 'x', CASE WHEN g % 8 = 0 THEN 'cancelled' ELSE 'scheduled' END,
                  'bench-' || g, md5('c' || g)::uuid
           FROM generate_series(1, {leads}, 5) g;
         ALTER TABLE children ENABLE TRIGGER trg_children_link_discovery_calls;
         ALTER TABLE children ENABLE TRIGGER trg_lead_dirty_child;
         ALTER TABLE communication_logs ENABLE TRIGGER trg_lead_dirty_message;
         ALTER TABLE discovery_calls ENABLE TRIGGER trg_lead_dirty_call;",
        parents = (leads * 7 / 10).max(1),
    ))
    .await?;
    db.batch_execute("VACUUM ANALYZE").await?;
    println!(
        "seeded {leads} leads, {} messages in {:.0}s",
        leads * 5,
        t.elapsed().as_secs_f64()
    );
    let now: DateTime<Utc> = "2026-11-24T20:30:00Z".parse()?;
    let config = shared::runtime::config::Config::from_pairs([
        ("DATABASE_URL", url.as_str()),
        (
            "SUPABASE_JWT_SECRET",
            "bench-secret-bench-secret-bench-secret",
        ),
    ]);
    let ctx = shared::functions::context(config, 4).await?;

    let t = Instant::now();
    let first = match std::env::var("BENCH_DEADLINE_SECONDS")
        .ok()
        .and_then(|v| v.parse::<u64>().ok())
    {
        None => shared::leads::cron::run(&ctx, now).await?,
        Some(secs) => first_by_invocations(&ctx, now, secs).await?,
    };
    let ours = t.elapsed().as_secs_f64();
    // A day passes before the next night: autovacuum frees the space the first run's million
    // updates left (what it does between two nights), so the next night's updates can be HOT.
    db.batch_execute("VACUUM ANALYZE children, communication_logs, lead_score_changes")
        .await?;
    let t = Instant::now();
    // The night after is counted from the now the first run completed at (its last invocation's
    // when it took several).
    let now = first.run_at;
    let rerun = shared::leads::cron::run(&ctx, now).await?;
    let rerun_s = t.elapsed().as_secs_f64();
    anyhow::ensure!(
        rerun.changed == 0,
        "the rerun rewrote {} rows",
        rerun.changed
    );
    let night = nights(&db, &ctx, now, leads, ours, rerun_s).await?;

    // The seed's way on a sample of leads: read them with their messages, score each in the app,
    // one UPDATE per child.
    let t = Instant::now();
    let rows = db
        .query(
            "SELECT c.id, c.assessment_completed,
                    EXISTS (SELECT 1 FROM discovery_calls d WHERE d.child_id = c.id AND d.status IS DISTINCT FROM 'cancelled'),
                    m.direction, m.status, m.created_at
             FROM (SELECT id, parent_id, assessment_completed FROM children WHERE status = 'lead' ORDER BY id LIMIT $1) c
             LEFT JOIN communication_logs m
               ON m.child_id = c.id OR (m.child_id IS NULL AND m.parent_id = c.parent_id)
             ORDER BY c.id, m.created_at",
            &[&sample],
        )
        .await?;
    let mut scored: Vec<(Uuid, i32, &'static str)> = Vec::new();
    let mut i = 0;
    while i < rows.len() {
        let id: Uuid = rows[i].get(0);
        let mut facts = Facts {
            assessment_completed: rows[i].get(1),
            discovery_booked: rows[i].get(2),
            ..Facts::default()
        };
        let mut last_out: Option<DateTime<Utc>> = None;
        let mut delays: Vec<f64> = Vec::new();
        while i < rows.len() && rows[i].get::<_, Uuid>(0) == id {
            let dir: Option<String> = rows[i].get(3);
            let status: Option<String> = rows[i].get(4);
            let at: Option<DateTime<Utc>> = rows[i].get(5);
            if let (Some(dir), Some(at)) = (dir, at) {
                let sent = !matches!(status.as_deref(), Some("skipped") | Some("failed"));
                if dir == "outbound" && sent {
                    last_out = Some(at);
                } else if dir == "inbound"
                    && at > now - Duration::days(WINDOW_DAYS.into())
                    && at <= now
                {
                    facts.inbound += 1;
                    if let Some(o) = last_out.filter(|o| *o < at) {
                        delays.push((at - o).num_microseconds().unwrap_or(0) as f64 / 1e6);
                    }
                }
            }
            i += 1;
        }
        delays.sort_by(|a, b| a.total_cmp(b));
        facts.median_delay_seconds = match delays.len() {
            0 => None,
            n if n % 2 == 1 => Some(delays[n / 2]),
            n => Some((delays[n / 2 - 1] + delays[n / 2]) / 2.0),
        };
        let s = score(&facts);
        scored.push((id, s.total, s.tier.as_str()));
    }
    for (id, total, status) in &scored {
        db.execute(
            "UPDATE children SET lead_score = $2, lead_status = $3 WHERE id = $1",
            &[id, total, status],
        )
        .await?;
    }
    let seed_sample = t.elapsed().as_secs_f64();
    let seed_full = seed_sample * first.processed as f64 / scored.len().max(1) as f64;

    println!("{night}");
    println!("| approach | leads | seconds | vs the cron |\n|---|---:|---:|---:|");
    println!(
        "| cron: first run ({} rows written, {} tier changes) | {} | {ours:.1} | 1.00× |",
        first.changed, first.tier_changes, first.processed
    );
    println!(
        "| cron: rerun, same now (0 written) | {} | {rerun_s:.1} | {:.2}× |",
        rerun.processed,
        rerun_s / ours
    );
    println!(
        "| seed: sample, measured | {} | {seed_sample:.1} | — |",
        scored.len()
    );
    println!(
        "| seed: extrapolated to all leads | {} | {seed_full:.0} | {:.1}× slower |",
        first.processed,
        seed_full / ours
    );
    // Over a network each round trip costs its latency too: the seed pays it once per lead, the
    // cron five times per batch (begin, lock, facts, write, commit) and a few times per run.
    let seed_trips = first.processed as f64;
    let cron_trips = 5.0 * (first.processed / shared::leads::cron::BATCH + 1) as f64 + 5.0;
    for rtt_ms in [1.0, 5.0] {
        let seed_at = seed_full + seed_trips * rtt_ms / 1000.0;
        let ours_at = ours + cron_trips * rtt_ms / 1000.0;
        println!(
            "modelled at {rtt_ms} ms per round trip: seed {seed_at:.0} s, cron {ours_at:.1} s ({:.1}× faster)",
            seed_at / ours_at
        );
    }
    println!(
        "tiers after the run: hot {}, warm {}, cold {}; Lambda limit 900 s, the cron used {:.0}% of it",
        first.hot,
        first.warm,
        first.cold,
        ours / 900.0 * 100.0
    );
    Ok(())
}
