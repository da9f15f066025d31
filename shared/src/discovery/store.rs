//! SQL for discovery calls: one function per statement. The linking rule itself is SQL
//! (`yt_discovery_child`, migration 0008) so the trigger on `children` uses it too.
use super::booking::Call;
use serde::Serialize;
use tokio_postgres::types::Type;
use tokio_postgres::GenericClient;
use uuid::Uuid;

type R<T> = Result<T, tokio_postgres::Error>;

/// Cal.com events are applied one at a time (a booking chain has no key of its own until its
/// events are read); their volume is a few per booking.
pub async fn lock_calls(db: &impl GenericClient) -> R<()> {
    db.query_typed(
        "SELECT pg_advisory_xact_lock(hashtext('discovery-calls'))",
        &[],
    )
    .await?;
    Ok(())
}

pub async fn insert_booking_event(
    db: &impl GenericClient,
    event_id: &str,
    uid: &str,
    reschedule_uid: Option<&str>,
    body: &str,
) -> R<u64> {
    db.execute_typed(
        "INSERT INTO discovery_call_events (event_id, uid, reschedule_uid, body) VALUES ($1, $2, $3, $4)
         ON CONFLICT (event_id) DO NOTHING",
        &[
            (&event_id, Type::TEXT),
            (&uid, Type::TEXT),
            (&reschedule_uid, Type::TEXT),
            (&body, Type::TEXT),
        ],
    )
    .await
}

/// The events naming any of `uids` (as their booking or the one they replace): (uid, replaced
/// uid, body).
pub async fn events_naming(
    db: &impl GenericClient,
    uids: &[String],
) -> R<Vec<(String, Option<String>, String)>> {
    db.query_typed(
        "SELECT uid, reschedule_uid, body FROM discovery_call_events
         WHERE uid = ANY($1) OR reschedule_uid = ANY($1)",
        &[(&uids, Type::TEXT_ARRAY)],
    )
    .await?
    .iter()
    .map(|r| Ok((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?)))
    .collect()
}

/// The rows holding any of `uids` (current or earlier), locked, linked ones first.
pub async fn lock_calls_with_uids(db: &impl GenericClient, uids: &[String]) -> R<Vec<Uuid>> {
    db.query_typed(
        "SELECT id FROM discovery_calls
         WHERE cal_booking_uid = ANY($1) OR previous_uids && $1
         ORDER BY (child_id IS NULL), created_at, id FOR UPDATE",
        &[(&uids, Type::TEXT_ARRAY)],
    )
    .await?
    .iter()
    .map(|r| r.try_get(0))
    .collect()
}

pub async fn delete_calls(db: &impl GenericClient, ids: &[Uuid]) -> R<u64> {
    db.execute_typed(
        "DELETE FROM discovery_calls WHERE id = ANY($1)",
        &[(&ids, Type::UUID_ARRAY)],
    )
    .await
}

/// Writes the call's state into row `id`, or a new row; returns the row's id.
pub async fn save_call(db: &impl GenericClient, id: Option<Uuid>, c: &Call) -> R<Uuid> {
    let status = c.status.map(|s| s.as_str());
    let (status_at, status_rank) = (c.status_at.map(|s| s.0), c.status_at.map(|s| s.1));
    let (times_at, times_rank) = (c.times_at.map(|s| s.0), c.times_at.map(|s| s.1));
    let row = db
        .query_typed_one(
            "INSERT INTO discovery_calls AS d (id, cal_booking_uid, previous_uids, status, scheduled_at, ends_at,
               parent_email, parent_name, parent_phone, parent_timezone, child_name, child_age, metadata_child_id,
               status_event_at, status_event_rank, times_event_at, times_event_rank, uid_event_at)
             VALUES (COALESCE($1, gen_random_uuid()), $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)
             ON CONFLICT (id) DO UPDATE SET cal_booking_uid = EXCLUDED.cal_booking_uid,
               previous_uids = EXCLUDED.previous_uids, status = EXCLUDED.status,
               scheduled_at = EXCLUDED.scheduled_at, ends_at = EXCLUDED.ends_at,
               parent_email = EXCLUDED.parent_email, parent_name = EXCLUDED.parent_name,
               parent_phone = EXCLUDED.parent_phone, parent_timezone = EXCLUDED.parent_timezone,
               child_name = EXCLUDED.child_name, child_age = EXCLUDED.child_age,
               metadata_child_id = EXCLUDED.metadata_child_id,
               status_event_at = EXCLUDED.status_event_at, status_event_rank = EXCLUDED.status_event_rank,
               times_event_at = EXCLUDED.times_event_at, times_event_rank = EXCLUDED.times_event_rank,
               uid_event_at = EXCLUDED.uid_event_at, updated_at = NOW()
             RETURNING id",
            &[
                (&id, Type::UUID),
                (&c.uid, Type::TEXT),
                (&c.previous_uids, Type::TEXT_ARRAY),
                (&status, Type::TEXT),
                (&c.scheduled_at, Type::TIMESTAMPTZ),
                (&c.ends_at, Type::TIMESTAMPTZ),
                (&c.parent_email, Type::TEXT),
                (&c.parent_name, Type::TEXT),
                (&c.parent_phone, Type::TEXT),
                (&c.parent_timezone, Type::TEXT),
                (&c.child_name, Type::TEXT),
                (&c.child_age, Type::INT4),
                (&c.metadata_child_id, Type::UUID),
                (&status_at, Type::TIMESTAMPTZ),
                (&status_rank, Type::INT4),
                (&times_at, Type::TIMESTAMPTZ),
                (&times_rank, Type::INT4),
                (&c.uid_at, Type::TIMESTAMPTZ),
            ],
        )
        .await?;
    row.try_get(0)
}

/// Links an unlinked call to the child its booking names in `metadata.childId`, only when that
/// child's family email (the child's `parent_email` or its parent's `email`) is the attendee's.
pub async fn link_by_metadata(db: &impl GenericClient, id: Uuid) -> R<u64> {
    db.execute_typed(
        "UPDATE discovery_calls d SET child_id = c.id, link_method = 'metadata', updated_at = NOW()
         FROM children c LEFT JOIN parents p ON p.id = c.parent_id
         WHERE d.id = $1 AND d.child_id IS NULL AND c.id = d.metadata_child_id
           AND (lower(btrim(c.parent_email)) = lower(btrim(d.parent_email))
                OR lower(btrim(p.email)) = lower(btrim(d.parent_email)))",
        &[(&id, Type::UUID)],
    )
    .await
}

/// Links an unlinked call by the backfill's rule (`yt_discovery_child`).
pub async fn link_by_rule(db: &impl GenericClient, id: Uuid) -> R<u64> {
    db.execute_typed(
        "UPDATE discovery_calls d SET child_id = l.child_id, link_method = l.method, updated_at = NOW()
         FROM discovery_calls d2
         CROSS JOIN LATERAL yt_discovery_child(d2.parent_email, d2.parent_phone, d2.child_name) l
         WHERE d.id = $1 AND d2.id = d.id AND d.child_id IS NULL",
        &[(&id, Type::UUID)],
    )
    .await
}

/// The backfill: links every unlinked call the rule finds a child for; returns how many.
pub async fn link_unlinked(db: &impl GenericClient) -> R<i32> {
    db.query_typed_one("SELECT yt_link_unlinked_discovery_calls()", &[])
        .await?
        .try_get(0)
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UnlinkedCall {
    pub id: Uuid,
    pub parent_email: Option<String>,
    pub child_name: Option<String>,
    pub scheduled_at: Option<chrono::DateTime<chrono::Utc>>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LinkReport {
    pub total: i64,
    pub linked: i64,
    pub unlinked: i64,
    pub by_method: serde_json::Map<String, serde_json::Value>,
    pub unlinked_sample: Vec<UnlinkedCall>,
}

/// Totals, counts by link method and the 20 newest unlinked calls, in one statement.
pub async fn link_report(db: &impl GenericClient) -> R<LinkReport> {
    let r = db
        .query_typed_one(
            "SELECT
               (SELECT COUNT(*) FROM discovery_calls),
               (SELECT COUNT(*) FROM discovery_calls WHERE child_id IS NOT NULL),
               (SELECT COALESCE(jsonb_object_agg(m, n), '{}'::jsonb) FROM (
                  SELECT COALESCE(link_method, 'manual') AS m, COUNT(*) AS n FROM discovery_calls
                  WHERE child_id IS NOT NULL GROUP BY 1) x),
               (SELECT COALESCE(jsonb_agg(jsonb_build_object('id', id, 'parentEmail', parent_email,
                         'childName', child_name, 'scheduledAt', scheduled_at) ORDER BY created_at DESC, id), '[]'::jsonb)
                FROM (SELECT id, parent_email, child_name, scheduled_at, created_at FROM discovery_calls
                      WHERE child_id IS NULL ORDER BY created_at DESC, id LIMIT 20) s)",
            &[],
        )
        .await?;
    let total: i64 = r.try_get(0)?;
    let linked: i64 = r.try_get(1)?;
    let by_method: serde_json::Value = r.try_get(2)?;
    let sample: serde_json::Value = r.try_get(3)?;
    let unlinked_sample = sample
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|v| {
                    Some(UnlinkedCall {
                        id: v["id"].as_str().and_then(|s| Uuid::parse_str(s).ok())?,
                        parent_email: v["parentEmail"].as_str().map(str::to_string),
                        child_name: v["childName"].as_str().map(str::to_string),
                        scheduled_at: v["scheduledAt"]
                            .as_str()
                            .and_then(|s| chrono::DateTime::parse_from_rfc3339(s).ok())
                            .map(|t| t.with_timezone(&chrono::Utc)),
                    })
                })
                .collect()
        })
        .unwrap_or_default();
    Ok(LinkReport {
        total,
        linked,
        unlinked: total - linked,
        by_method: by_method.as_object().cloned().unwrap_or_default(),
        unlinked_sample,
    })
}
