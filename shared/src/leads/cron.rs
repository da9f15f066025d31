//! `lead-scoring-cron`: nightly at 02:00 Asia/Kolkata, scores the leads (`children.status =
//! 'lead'`) whose score may have moved since the scores were computed — marked by a write to
//! their inputs, never scored, or with a message entering or leaving their window between the
//! nows scored at — or, on the first night, after a rule change and when the event says
//! `{"full": true}`, every lead. In batches: one query gathers a batch's facts, one statement
//! writes the rows that changed with their tier changes; then one admin digest of the leads that
//! became hot goes in the outbox. Either way the stored scores are what scoring every lead at
//! this now gives.
//!
//! "Now" is the run's start (or the `now` of a replay), so a run is reproducible: a second run
//! with the same now rewrites no row and records no change — unless the data changed in between
//! (a replay after a fix), and then it records each transition it makes. Every tier transition
//! is recorded once, by the statement that moves the tier; one run of a given now works at a time
//! (`lead_scoring_runs`), so racing deliveries of one night send one digest.
use super::lead_score::{changed, score, RULE_VERSION};
use super::run_mode::{run_mode, RunMode};
use super::store::{self, NewScore};
use crate::runtime::context::AppContext;
use crate::runtime::outbox::{enqueue_notification_as, CATEGORY_TRANSACTIONAL};
use chrono::{DateTime, SubsecRound, Utc};
use serde::Serialize;
use serde_json::{json, Value};
use std::time::{Duration, Instant};
use uuid::Uuid;

pub const FUNCTION: &str = "lead-scoring-cron";
/// Leads per batch: one facts query and at most one write each.
pub const BATCH: i64 = 5_000;
/// Leads named in the digest; the rest are counted.
pub const NAMED_IN_DIGEST: i64 = 50;
pub const DIGEST_TEMPLATE: &str = "leads_became_hot";
/// A run's claim on its now, not refreshed for this long (a batch refreshes it), is taken over.
pub const CLAIM_STALE_AFTER: Duration = Duration::from_secs(120);

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RunReport {
    pub run_at: DateTime<Utc>,
    pub processed: i64,
    pub changed: i64,
    pub tier_changes: i64,
    pub hot: i64,
    pub warm: i64,
    pub cold: i64,
    pub duration_ms: u64,
    /// False when the run stopped before the Lambda deadline with leads left; a replay with the
    /// same `now` finishes it.
    pub complete: bool,
    /// Leads named or counted in this run's digest (0: no digest).
    pub became_hot: i64,
    /// `full` (every lead) or `changes` (the leads whose score may have moved).
    pub mode: &'static str,
    /// Leads whose facts this run gathered and scored (`processed` is every lead once complete,
    /// as a full run counts them).
    pub scored: i64,
}

/// The run's now: the event's `now` (RFC 3339) for a replay, else the clock. Microseconds, as
/// PostgreSQL stores it, so a replay finds the rows of the run it repeats.
pub fn run_at(event: &Value, clock: DateTime<Utc>) -> anyhow::Result<DateTime<Utc>> {
    let at = match event.get("now") {
        None | Some(Value::Null) => clock,
        Some(Value::String(s)) => DateTime::parse_from_rfc3339(s)
            .map_err(|e| anyhow::anyhow!("now must be an RFC 3339 time: {e}"))?
            .with_timezone(&Utc),
        Some(_) => anyhow::bail!("now must be an RFC 3339 time string"),
    };
    Ok(at.trunc_subsecs(6))
}

/// The Lambda entry: the ScheduleV2 input (or a replay's `{"now": …}`, `{"full": true}` to
/// score every lead) in, the report out.
pub async fn handle(ctx: &AppContext, event: Value) -> anyhow::Result<RunReport> {
    let now = run_at(&event, Utc::now())?;
    let full = match event.get("full") {
        None | Some(Value::Null) => false,
        Some(Value::Bool(b)) => *b,
        Some(_) => anyhow::bail!("full must be true or false"),
    };
    run_with(ctx, now, BATCH, full).await
}

/// Whether another batch fits before the deadline: twice the slowest batch so far, plus 10 s
/// for the digest.
fn time_left_for_batch(slowest: Duration) -> bool {
    match crate::runtime::function::deadline() {
        None => true,
        Some(d) => {
            d.saturating_duration_since(Instant::now()) > slowest * 2 + Duration::from_secs(10)
        }
    }
}

pub async fn run(ctx: &AppContext, now: DateTime<Utc>) -> anyhow::Result<RunReport> {
    run_with(ctx, now, BATCH, false).await
}

/// `run` with another batch size (tests cross batch boundaries with a small one).
pub async fn run_in_batches(
    ctx: &AppContext,
    now: DateTime<Utc>,
    batch: i64,
) -> anyhow::Result<RunReport> {
    run_with(ctx, now, batch, false).await
}

/// The leads of the next batch: a full run's next ids after the last one, or the next chunk of
/// the changed leads.
enum Work {
    Full { after: Uuid },
    Changes { ids: Vec<Uuid>, at: usize },
}

pub async fn run_with(
    ctx: &AppContext,
    now: DateTime<Utc>,
    batch: i64,
    full: bool,
) -> anyhow::Result<RunReport> {
    let batch = batch.max(1);
    let started = Instant::now();
    let mut report = RunReport {
        run_at: now,
        processed: 0,
        changed: 0,
        tier_changes: 0,
        hot: 0,
        warm: 0,
        cold: 0,
        duration_ms: 0,
        complete: false,
        became_hot: 0,
        mode: RunMode::Full.as_str(),
        scored: 0,
    };
    // One run of this now at a time: a second delivery of the same night, or a replay started
    // beside it, leaves the work and the digest to the run that holds the claim.
    let owner = Uuid::new_v4();
    let client = ctx.pool.get().await?;
    if !store::claim_run(&**client, now, owner, CLAIM_STALE_AFTER.as_secs_f64()).await? {
        tracing::warn!("another run of this now is in progress; this one does nothing");
        (report.hot, report.warm, report.cold) = store::tier_counts(&**client).await?;
        report.duration_ms = started.elapsed().as_millis() as u64;
        return Ok(report);
    }
    // The span widens to this now before the work is chosen: a run started later sees it.
    let start = store::begin_run(&**client, now).await?;
    let mode = run_mode(full, start.ever_completed, start.rule_version, RULE_VERSION);
    report.mode = mode.as_str();
    // A full sweep stopped at its deadline goes on where it stopped; the leads it scored then
    // are at an earlier now, so once the sweep is done this run also scores what moved since
    // (the changes of the span) before it calls itself complete.
    let resumed_from = start.full_after.filter(|_| mode == RunMode::Full);
    let mut follow_with_changes = resumed_from.is_some();
    let mut work = match mode {
        RunMode::Full => Work::Full {
            after: resumed_from.unwrap_or(Uuid::nil()),
        },
        RunMode::Changes => Work::Changes {
            ids: store::changed_leads(&**client, start.span).await?,
            at: 0,
        },
    };
    drop(client);
    let mut slowest = Duration::ZERO;
    loop {
        if !time_left_for_batch(slowest) {
            tracing::warn!(
                processed = report.processed,
                "lead scoring stopped before the deadline"
            );
            break;
        }
        let batch_started = Instant::now();
        let mut client = ctx.pool.get().await?;
        let tx = (**client).transaction().await?;
        store::lock_scoring(&tx).await?;
        if !store::hold_run(&tx, now, owner).await? {
            tracing::warn!(
                processed = report.processed,
                "another run took this now over; this one stops"
            );
            tx.commit().await?;
            break;
        }
        let (ids, last_batch) = match &mut work {
            Work::Full { after } => {
                let ids = store::lead_ids_after(&tx, *after, batch).await?;
                if let Some(last) = ids.last() {
                    *after = *last;
                }
                // The statement also recorded where a stopped sweep goes on (committed with
                // the batch).
                let last_batch = (ids.len() as i64) < batch;
                (ids, last_batch)
            }
            Work::Changes { ids, at } => {
                let end = (*at + batch as usize).min(ids.len());
                let chunk = ids[*at..end].to_vec();
                *at = end;
                (chunk, end == ids.len())
            }
        };
        // An empty batch is always the last one (nothing after the id, or the list used up).
        if !ids.is_empty() {
            score_batch(&tx, &ids, now, &mut report).await?;
        }
        tx.commit().await?;
        if !ids.is_empty() {
            slowest = slowest.max(batch_started.elapsed());
        }
        if last_batch {
            // Only a resumed full sweep follows with the changes, once, when its sweep ends.
            if std::mem::take(&mut follow_with_changes) {
                work = changes_of(ctx, start.span).await?;
                continue;
            }
            report.complete = true;
            break;
        }
    }
    if report.complete {
        // Every lead that could have moved is scored at this now: the stored scores are this
        // now's (unless another run started since, or still works).
        let client = ctx.pool.get().await?;
        store::complete_run(
            &**client,
            now,
            start.started,
            owner,
            RULE_VERSION,
            CLAIM_STALE_AFTER.as_secs_f64(),
            start.began_at,
        )
        .await?;
    }
    report.became_hot = send_digest(ctx, now).await?;
    let client = ctx.pool.get().await?;
    store::finish_run(&**client, now, owner).await?;
    (report.hot, report.warm, report.cold) = store::tier_counts(&**client).await?;
    if report.complete && (mode == RunMode::Changes || resumed_from.is_some()) {
        // As a full run counts them: every lead, each now scored.
        report.processed = report.hot + report.warm + report.cold;
    }
    report.duration_ms = started.elapsed().as_millis() as u64;
    tracing::info!(
        processed = report.processed,
        changed = report.changed,
        tier_changes = report.tier_changes,
        became_hot = report.became_hot,
        duration_ms = report.duration_ms,
        complete = report.complete,
        mode = report.mode,
        scored = report.scored,
        "lead scoring done"
    );
    Ok(report)
}

/// Scores one batch in the run's transaction: the marks of `ids` go first (a write to these leads
/// committed before this statement is seen by the facts read after it; one committed later
/// leaves its mark for the next run), then their facts are read and the changed scores written.
async fn score_batch(
    tx: &tokio_postgres::Transaction<'_>,
    ids: &[Uuid],
    now: DateTime<Utc>,
    report: &mut RunReport,
) -> anyhow::Result<()> {
    store::clear_marks(tx, ids).await?;
    let leads = store::lead_facts(tx, ids, now).await?;
    report.processed += leads.len() as i64;
    report.scored += leads.len() as i64;
    let scores: Vec<NewScore> = leads
        .iter()
        .filter_map(|l| {
            let s = score(&l.facts);
            changed(&l.stored, &s).then_some(NewScore {
                child_id: l.id,
                total: s.total,
                status: s.tier.as_str(),
                breakdown: s.breakdown,
            })
        })
        .collect();
    if !scores.is_empty() {
        let (rows, tiers) = store::write_scores(tx, now, &scores).await?;
        report.changed += rows;
        report.tier_changes += tiers;
    }
    Ok(())
}

/// The changed leads of `span` as the next work (after a resumed full sweep).
async fn changes_of(
    ctx: &AppContext,
    span: (DateTime<Utc>, DateTime<Utc>),
) -> anyhow::Result<Work> {
    let client = ctx.pool.get().await?;
    Ok(Work::Changes {
        ids: store::changed_leads(&**client, span).await?,
        at: 0,
    })
}

/// One admin digest of the leads whose change to hot no digest has reported yet (this run's, and
/// any an earlier run recorded but died before reporting). None when nobody became hot.
async fn send_digest(ctx: &AppContext, now: DateTime<Utc>) -> anyhow::Result<i64> {
    let id = Uuid::new_v4();
    let mut client = ctx.pool.get().await?;
    let tx = (**client).transaction().await?;
    let (named, total) = store::claim_hot_changes(&tx, id, NAMED_IN_DIGEST).await?;
    if total == 0 {
        // Claimed changes whose lead is no longer hot are reported as nothing: keep the claim.
        tx.commit().await?;
        return Ok(0);
    }
    let leads: Vec<Value> = named
        .iter()
        .map(|(id, name)| json!({ "childId": id, "name": name }))
        .collect();
    enqueue_notification_as(
        &tx,
        id,
        DIGEST_TEMPLATE,
        CATEGORY_TRANSACTIONAL,
        json!({ "admin": true }),
        json!({
            "runAt": now,
            "total": total,
            "leads": leads,
            "more": total - named.len() as i64,
        }),
    )
    .await?;
    tx.commit().await?;
    drop(client);
    ctx.publisher().publish(&ctx.pool, &[id]).await;
    Ok(total)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_run_time_comes_from_the_event_or_the_clock() {
        let clock = DateTime::parse_from_rfc3339("2026-11-24T20:30:00.123456789Z")
            .map(|d| d.with_timezone(&Utc))
            .unwrap_or_default();
        let from_clock = run_at(&json!({"source": "lead-scoring-cron"}), clock).ok();
        assert_eq!(
            from_clock.map(|d| d.timestamp_subsec_nanos()),
            Some(123_456_000)
        );
        let replay = run_at(&json!({"now": "2026-11-20T02:00:00+05:30"}), clock).ok();
        assert_eq!(
            replay.map(|d| d.to_rfc3339()),
            Some("2026-11-19T20:30:00+00:00".to_string())
        );
        assert!(run_at(&json!({"now": "yesterday"}), clock).is_err());
        assert!(run_at(&json!({"now": 5}), clock).is_err());
    }
}
