//! SQL for lead scoring: one function per statement. The facts of a batch of leads come from one
//! set-based query; the new scores of a batch are written, with their tier changes, by one
//! statement.
use super::lead_score::{Breakdown, Facts, Stored};
use chrono::{DateTime, Utc};
use tokio_postgres::types::Type;
use tokio_postgres::GenericClient;
use uuid::Uuid;

type R<T> = Result<T, tokio_postgres::Error>;

/// One scoring run at a time (a replay and the schedule firing together would interleave).
pub async fn lock_scoring(db: &impl GenericClient) -> R<()> {
    db.query_typed(
        "SELECT pg_advisory_xact_lock(hashtext('lead-scoring'))",
        &[],
    )
    .await?;
    Ok(())
}

/// Claims the run of `run_at` for `owner`: answers true when no run of that now holds a fresh
/// claim (none yet, finished, or not refreshed for `stale_after_secs`).
pub async fn claim_run(
    db: &impl GenericClient,
    run_at: DateTime<Utc>,
    owner: Uuid,
    stale_after_secs: f64,
) -> R<bool> {
    let rows = db
        .query_typed(
            "INSERT INTO lead_scoring_runs AS r (run_at, owner, heartbeat_at) VALUES ($1, $2, NOW())
             ON CONFLICT (run_at) DO UPDATE
               SET owner = EXCLUDED.owner, heartbeat_at = NOW(), finished_at = NULL
               WHERE r.finished_at IS NOT NULL
                  OR r.heartbeat_at < NOW() - make_interval(secs => $3)
             RETURNING r.owner",
            &[
                (&run_at, Type::TIMESTAMPTZ),
                (&owner, Type::UUID),
                (&stale_after_secs, Type::FLOAT8),
            ],
        )
        .await?;
    Ok(!rows.is_empty())
}

/// Refreshes `owner`'s claim on the run of `run_at`; false when the claim was taken over.
pub async fn hold_run(db: &impl GenericClient, run_at: DateTime<Utc>, owner: Uuid) -> R<bool> {
    let n = db
        .execute_typed(
            "UPDATE lead_scoring_runs SET heartbeat_at = NOW()
             WHERE run_at = $1 AND owner = $2 AND finished_at IS NULL",
            &[(&run_at, Type::TIMESTAMPTZ), (&owner, Type::UUID)],
        )
        .await?;
    Ok(n == 1)
}

/// Marks `owner`'s run of `run_at` finished (a later run of that now may start at once).
pub async fn finish_run(db: &impl GenericClient, run_at: DateTime<Utc>, owner: Uuid) -> R<()> {
    db.execute_typed(
        "UPDATE lead_scoring_runs SET finished_at = NOW() WHERE run_at = $1 AND owner = $2",
        &[(&run_at, Type::TIMESTAMPTZ), (&owner, Type::UUID)],
    )
    .await?;
    Ok(())
}

/// What a run starts from (`lead_scoring_state` after the run widened its span to its now).
pub struct RunStart {
    /// This run's number: a later run has a larger one.
    pub started: i64,
    /// The nows the stored scores may have been computed at, this run's included.
    pub span: (DateTime<Utc>, DateTime<Utc>),
    /// The rule the stored scores were computed with.
    pub rule_version: Option<i32>,
    /// Whether a run has ever scored every lead (else this one must).
    pub ever_completed: bool,
    /// Where an unfinished full sweep stopped (the last id it scored).
    pub full_after: Option<Uuid>,
    /// When the run began, by the database's clock.
    pub began_at: DateTime<Utc>,
}

/// Counts the run and widens the span to its now, before it looks for work.
pub async fn begin_run(db: &impl GenericClient, now: DateTime<Utc>) -> R<RunStart> {
    let row = db
        .query_typed_one(
            "UPDATE lead_scoring_state
             SET started = started + 1,
                 span_lo = LEAST(COALESCE(span_lo, $1), $1),
                 span_hi = GREATEST(COALESCE(span_hi, $1), $1)
             RETURNING started, span_lo, span_hi, rule_version, completed_at IS NOT NULL, full_after,
                       clock_timestamp()",
            &[(&now, Type::TIMESTAMPTZ)],
        )
        .await?;
    Ok(RunStart {
        started: row.try_get(0)?,
        span: (row.try_get(1)?, row.try_get(2)?),
        rule_version: row.try_get(3)?,
        ever_completed: row.try_get(4)?,
        full_after: row.try_get(5)?,
        began_at: row.try_get(6)?,
    })
}

/// Narrows the span to `now` after a run scored every lead that could have changed — unless a
/// run started after this one (`started` moved), another run is still working (a fresh claim of
/// another owner), or another run was working at any moment since this one began (`began_at`):
/// its batches may have written scores at its own now after this run wrote the same leads at
/// this one, so the stored scores are not all at `now`. Answers whether it narrowed.
pub async fn complete_run(
    db: &impl GenericClient,
    now: DateTime<Utc>,
    started: i64,
    owner: Uuid,
    rule_version: i32,
    stale_after_secs: f64,
    began_at: DateTime<Utc>,
) -> R<bool> {
    let n = db
        .execute_typed(
            "UPDATE lead_scoring_state
             SET span_lo = $1, span_hi = $1, rule_version = $4, completed_at = NOW()
             WHERE started = $2
               AND NOT EXISTS (SELECT 1 FROM lead_scoring_runs r
                               WHERE r.owner <> $3
                                 AND ((r.finished_at IS NULL
                                       AND r.heartbeat_at > NOW() - make_interval(secs => $5))
                                      OR COALESCE(r.finished_at, r.heartbeat_at) >= $6))",
            &[
                (&now, Type::TIMESTAMPTZ),
                (&started, Type::INT8),
                (&owner, Type::UUID),
                (&rule_version, Type::INT4),
                (&stale_after_secs, Type::FLOAT8),
                (&began_at, Type::TIMESTAMPTZ),
            ],
        )
        .await?;
    Ok(n == 1)
}

/// The leads whose score may differ from the stored one at any now of `span`: marked ones (a
/// write to their inputs, a new lead, a score cleared), and those with a message whose place in
/// or out of the window differs between two nows of the span — created within it (it counts at
/// one now and not at another), or an inbound one that left the 30-day window within it.
/// Indexed ranges only (the marks, messages by time); ids in order. A mark
/// of a child that is no longer a lead is answered too (its scoring takes the mark away).
pub async fn changed_leads(
    db: &impl GenericClient,
    span: (DateTime<Utc>, DateTime<Utc>),
) -> R<Vec<Uuid>> {
    db.query_typed(
        "WITH moved AS (
           SELECT m.child_id, m.parent_id FROM communication_logs m
           WHERE (m.created_at > $1 AND m.created_at <= $2)
              OR (m.direction = 'inbound'
                  AND m.created_at > $1 - make_interval(days => $3)
                  AND m.created_at <= $2 - make_interval(days => $3))
         )
         SELECT child_id FROM lead_score_dirty
         UNION SELECT child_id FROM moved WHERE child_id IS NOT NULL
         UNION SELECT c.id FROM moved JOIN children c ON c.parent_id = moved.parent_id
               WHERE moved.child_id IS NULL AND c.status = 'lead'
         ORDER BY 1",
        &[
            (&span.0, Type::TIMESTAMPTZ),
            (&span.1, Type::TIMESTAMPTZ),
            (&super::lead_score::WINDOW_DAYS, Type::INT4),
        ],
    )
    .await?
    .iter()
    .map(|r| r.try_get(0))
    .collect()
}

/// The next `limit` leads after `after`, by id (a full run's batch), recording in the same
/// statement where the sweep will go on if it stops here (NULL once it has reached the end).
pub async fn lead_ids_after(db: &impl GenericClient, after: Uuid, limit: i64) -> R<Vec<Uuid>> {
    db.query_typed(
        "WITH ids AS (
           SELECT id FROM children WHERE status = 'lead' AND id > $1 ORDER BY id LIMIT $2
         ),
         cursor AS (
           UPDATE lead_scoring_state
           SET full_after = CASE WHEN (SELECT count(*) FROM ids) < $2 THEN NULL
                                 ELSE (SELECT id FROM ids ORDER BY id DESC LIMIT 1) END
         )
         SELECT id FROM ids ORDER BY id",
        &[(&after, Type::UUID), (&limit, Type::INT8)],
    )
    .await?
    .iter()
    .map(|r| r.try_get(0))
    .collect()
}

/// Takes the marks of `ids` away (in the transaction that scores them: a mark made meanwhile
/// waits for it and stays).
pub async fn clear_marks(db: &impl GenericClient, ids: &[Uuid]) -> R<u64> {
    db.execute_typed(
        "DELETE FROM lead_score_dirty WHERE child_id = ANY($1)",
        &[(&ids, Type::UUID_ARRAY)],
    )
    .await
}

#[derive(Debug, Clone)]
pub struct Lead {
    pub id: Uuid,
    pub facts: Facts,
    pub stored: Stored,
}

/// The leads among `ids` (still leads) with their facts at `now`:
/// - a message is the child's when `child_id` is the child, or `child_id` is NULL and
///   `parent_id` is the child's parent;
/// - inbound messages count in `now − 30 days < created_at ≤ now`;
/// - each one's delay is the time since the latest outbound message of the child before it (any
///   age; `skipped` and `failed` rows were never sent), found by one pass over each lead's
///   messages in time order (a window function, not a look-up per message); the median is
///   `percentile_cont(0.5)`, which averages the two middle delays of an even count and ignores
///   inbound rows without an earlier outbound one;
/// - a discovery call counts when it is linked to the child and not `cancelled` (NULL counts).
pub async fn lead_facts(db: &impl GenericClient, ids: &[Uuid], now: DateTime<Utc>) -> R<Vec<Lead>> {
    db.query_typed(
        "WITH leads AS (
           SELECT c.id, c.parent_id, COALESCE(c.assessment_completed, FALSE) AS assessment_completed,
                  c.lead_score, c.lead_status, c.lead_score_breakdown
           FROM children c
           WHERE c.status = 'lead' AND c.id = ANY($1)
         ),
         msgs AS (
           SELECT l.id AS child_id, m.direction, m.created_at
           FROM leads l
           JOIN communication_logs m ON m.child_id = l.id
           WHERE m.created_at <= $2
             AND ((m.direction = 'inbound' AND m.created_at > $2 - make_interval(days => $3))
                  OR (m.direction = 'outbound' AND m.status IS DISTINCT FROM 'skipped'
                      AND m.status IS DISTINCT FROM 'failed'))
           UNION ALL
           SELECT l.id, m.direction, m.created_at
           FROM leads l
           JOIN communication_logs m ON m.parent_id = l.parent_id AND m.child_id IS NULL
           WHERE m.created_at <= $2
             AND ((m.direction = 'inbound' AND m.created_at > $2 - make_interval(days => $3))
                  OR (m.direction = 'outbound' AND m.status IS DISTINCT FROM 'skipped'
                      AND m.status IS DISTINCT FROM 'failed'))
         ),
         -- Each message with the latest outbound strictly before it: at equal times 'inbound'
         -- sorts first, so an outbound of the same instant is not before it.
         timeline AS (
           SELECT child_id, direction, created_at,
                  max(created_at) FILTER (WHERE direction = 'outbound') OVER (
                    PARTITION BY child_id ORDER BY created_at, direction
                    ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS last_out
           FROM msgs
         ),
         replies AS (
           SELECT child_id, count(*) AS inbound,
                  percentile_cont(0.5) WITHIN GROUP (
                    ORDER BY extract(epoch FROM created_at - last_out)::float8) AS median_delay
           FROM timeline
           WHERE direction = 'inbound'
           GROUP BY child_id
         )
         SELECT l.id, l.assessment_completed, b.booked IS NOT NULL,
                COALESCE(r.inbound, 0), r.median_delay,
                l.lead_score, l.lead_status, l.lead_score_breakdown
         FROM leads l
         LEFT JOIN replies r ON r.child_id = l.id
         -- One probe of idx_discovery_calls_child per lead (an EXISTS or a join here was planned
         -- as a scan of every call for each batch).
         LEFT JOIN LATERAL (
           SELECT 1 AS booked FROM discovery_calls d
           WHERE d.child_id = l.id AND d.status IS DISTINCT FROM 'cancelled'
           LIMIT 1
         ) b ON TRUE
         ORDER BY l.id",
        &[
            (&ids, Type::UUID_ARRAY),
            (&now, Type::TIMESTAMPTZ),
            (&super::lead_score::WINDOW_DAYS, Type::INT4),
        ],
    )
    .await?
    .iter()
    .map(|r| {
        let breakdown: Option<serde_json::Value> = r.try_get(7)?;
        Ok(Lead {
            id: r.try_get(0)?,
            facts: Facts {
                assessment_completed: r.try_get(1)?,
                discovery_booked: r.try_get(2)?,
                inbound: r.try_get(3)?,
                median_delay_seconds: r.try_get(4)?,
            },
            stored: Stored {
                score: r.try_get(5)?,
                status: r.try_get(6)?,
                breakdown: breakdown.and_then(|b| serde_json::from_value::<Breakdown>(b).ok()),
            },
        })
    })
    .collect()
}

/// A new score to write.
pub struct NewScore {
    pub child_id: Uuid,
    pub total: i32,
    pub status: &'static str,
    pub breakdown: Breakdown,
}

/// Writes the new scores of a batch in one statement: rows still leads whose score, status or
/// breakdown differ are rewritten (`lead_scored_at` = the run's now), and a change row is
/// recorded for each whose tier moved. Returns (rows rewritten, change rows written).
pub async fn write_scores(
    db: &impl GenericClient,
    now: DateTime<Utc>,
    scores: &[NewScore],
) -> R<(i64, i64)> {
    let ids: Vec<Uuid> = scores.iter().map(|s| s.child_id).collect();
    let totals: Vec<i32> = scores.iter().map(|s| s.total).collect();
    let statuses: Vec<&str> = scores.iter().map(|s| s.status).collect();
    let breakdowns: Vec<String> = scores
        .iter()
        .map(|s| serde_json::to_string(&s.breakdown).unwrap_or_default())
        .collect();
    let row = db
        .query_typed(
            "WITH n AS (
               SELECT * FROM unnest($1::uuid[], $2::int4[], $3::text[], $4::text[])
                 AS n(id, score, status, breakdown)
             ),
             old AS (
               SELECT c.id, c.lead_score, c.lead_status, c.lead_score_breakdown
               FROM children c JOIN n ON n.id = c.id
               WHERE c.status = 'lead'
               FOR UPDATE OF c
             ),
             upd AS (
               UPDATE children c
               SET lead_score = n.score, lead_status = n.status,
                   lead_score_breakdown = n.breakdown::jsonb, lead_scored_at = $5
               FROM n JOIN old ON old.id = n.id
               WHERE c.id = n.id
                 AND (old.lead_score IS DISTINCT FROM n.score
                      OR old.lead_status IS DISTINCT FROM n.status
                      OR old.lead_score_breakdown IS DISTINCT FROM n.breakdown::jsonb)
               RETURNING c.id
             ),
             ins AS (
               INSERT INTO lead_score_changes (child_id, old_score, new_score, old_status, new_status, run_at)
               SELECT old.id, old.lead_score, n.score, old.lead_status, n.status, $5
               FROM n JOIN old ON old.id = n.id
               WHERE old.lead_status IS DISTINCT FROM n.status
               RETURNING child_id
             )
             SELECT (SELECT count(*) FROM upd), (SELECT count(*) FROM ins)",
            &[
                (&ids, Type::UUID_ARRAY),
                (&totals, Type::INT4_ARRAY),
                (&statuses, Type::TEXT_ARRAY),
                (&breakdowns, Type::TEXT_ARRAY),
                (&now, Type::TIMESTAMPTZ),
            ],
        )
        .await?;
    let row = row.first();
    Ok(match row {
        Some(r) => (r.try_get(0)?, r.try_get(1)?),
        None => (0, 0),
    })
}

/// Claims every change to hot not yet reported for `digest` and answers the first `named` of
/// those leads still hot (by name) with how many there are in all.
pub async fn claim_hot_changes(
    db: &impl GenericClient,
    digest: Uuid,
    named: i64,
) -> R<(Vec<(Uuid, Option<String>)>, i64)> {
    let rows = db
        .query_typed(
            "WITH claimed AS (
               UPDATE lead_score_changes SET digest_outbox_id = $1
               WHERE new_status = 'hot' AND digest_outbox_id IS NULL
               RETURNING child_id
             ),
             hot AS (
               SELECT DISTINCT c.id, c.name
               FROM claimed JOIN children c ON c.id = claimed.child_id
               WHERE c.status = 'lead' AND c.lead_status = 'hot'
             )
             SELECT id, name, count(*) OVER () FROM hot
             ORDER BY lower(name) NULLS LAST, id
             LIMIT $2",
            &[(&digest, Type::UUID), (&named, Type::INT8)],
        )
        .await?;
    let total = match rows.first() {
        Some(r) => r.try_get(2)?,
        None => 0,
    };
    let leads = rows
        .iter()
        .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
        .collect::<R<Vec<_>>>()?;
    Ok((leads, total))
}

/// How many leads are hot, warm and cold: the counts the triggers of migration 0020 keep, not a
/// count of every child.
pub async fn tier_counts(db: &impl GenericClient) -> R<(i64, i64, i64)> {
    let rows = db
        .query_typed(
            "SELECT COALESCE(sum(n) FILTER (WHERE tier = 'hot'), 0)::int8,
                    COALESCE(sum(n) FILTER (WHERE tier = 'warm'), 0)::int8,
                    COALESCE(sum(n) FILTER (WHERE tier = 'cold'), 0)::int8
             FROM lead_tier_counts",
            &[],
        )
        .await?;
    Ok(match rows.first() {
        Some(r) => (r.try_get(0)?, r.try_get(1)?, r.try_get(2)?),
        None => (0, 0, 0),
    })
}
