//! The rescheduling service: the slots a parent may move a session to, and the move itself in
//! one transaction (session and coach locked, the slot rule checked again, the limit counted,
//! the history and the notices and the calendar message written), published after commit.
use super::reschedule_rule::{self, Refusal};
use super::slot_rule::{self, Context, Settings};
use super::store::{self, Session};
use super::zone::Zone;
use crate::runtime::context::AppContext;
use crate::runtime::http::ApiError;
use crate::runtime::outbox::{
    enqueue, enqueue_notification, CATEGORY_TRANSACTIONAL, TOPIC_CALENDAR,
};
use chrono::{
    DateTime, Duration, FixedOffset, LocalResult, NaiveDate, SecondsFormat, TimeZone, Utc,
};
use serde_json::{json, Value};
use tokio_postgres::error::SqlState;
use uuid::Uuid;

/// The slot rule's settings, from the function's typed settings (defaults 24 h, 60 days, 30
/// minutes).
pub fn settings(s: &crate::runtime::settings::Settings) -> Settings {
    Settings {
        notice: Duration::hours(s.reschedule_notice_hours),
        horizon: Duration::days(s.reschedule_horizon_days),
        grid_minutes: s.slot_grid_minutes,
    }
}

pub fn not_found() -> ApiError {
    ApiError::NotFound("no such session among your children's".into())
}

pub fn refused(r: Refusal) -> ApiError {
    ApiError::Conflict {
        code: r.code(),
        message: r.message().into(),
    }
}

/// The first instant of a local date (midnight, or the first time after a skipped midnight).
pub fn start_of_day(zone: &Zone, date: NaiveDate) -> Option<DateTime<Utc>> {
    (0..=3).find_map(
        |h| match zone.from_local_datetime(&date.and_hms_opt(h, 0, 0)?) {
            LocalResult::Single(t) | LocalResult::Ambiguous(t, _) => Some(t.with_timezone(&Utc)),
            LocalResult::None => None,
        },
    )
}

pub fn coach_zone(s: &Session) -> Zone {
    s.coach_zone
        .as_deref()
        .and_then(Zone::named)
        .unwrap_or_else(Zone::kolkata)
}

/// The slot rule's context for a session, with the busy time of `[from, to)`.
pub async fn rule_context(
    db: &impl tokio_postgres::GenericClient,
    s: &Session,
    coach: Uuid,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    now: DateTime<Utc>,
    settings: Settings,
) -> Result<Context, ApiError> {
    let duration = Duration::minutes(i64::from(s.duration_minutes));
    let (windows, busy) = tokio::try_join!(
        store::availability(db, coach),
        store::busy(db, coach, s.child_id, s.id, from - duration, to + duration)
    )?;
    Ok(Context {
        coach_zone: coach_zone(s),
        windows,
        busy,
        current_start: s.state.scheduled_time,
        duration,
        now,
        settings,
    })
}

pub fn spoken(t: DateTime<Utc>, zone: &Zone) -> String {
    t.with_timezone(zone)
        .format("%a %d %b %Y, %H:%M %Z")
        .to_string()
}

/// The week's slots a parent may move the session to, in `zone` (`weekStart` its Monday-or-any
/// day, default today there), or why it cannot move.
pub async fn offered_slots(
    db: &impl tokio_postgres::GenericClient,
    settings: &crate::runtime::settings::Settings,
    parent_id: Uuid,
    id: Uuid,
    zone: Zone,
    week_start: Option<NaiveDate>,
) -> Result<Value, ApiError> {
    let settings = self::settings(settings);
    let s = store::session_for_parent(db, id, parent_id)
        .await?
        .ok_or_else(not_found)?;
    let now = Utc::now();
    let week_start = week_start.unwrap_or_else(|| now.with_timezone(&zone).date_naive());
    let (Some(from), Some(to)) = (
        start_of_day(&zone, week_start),
        week_start
            .checked_add_days(chrono::Days::new(7))
            .and_then(|d| start_of_day(&zone, d)),
    ) else {
        return Err(ApiError::invalid_field("weekStart", "out of range"));
    };
    let mut answer = json!({
        "sessionId": s.id,
        "timeZone": zone.name(),
        "durationMinutes": s.duration_minutes,
        "reschedulable": true,
        "slots": [],
    });
    let movable = reschedule_rule::check(&s.state, now, settings.notice)
        .and_then(|()| s.coach_id.ok_or(Refusal::NotReschedulable));
    match movable {
        Err(r) => {
            answer["reschedulable"] = json!(false);
            answer["reason"] = json!(r.code());
        }
        Ok(coach) => {
            let rule = rule_context(db, &s, coach, from, to, now, settings).await?;
            let slots: Vec<Value> = slot_rule::offered(&rule, from, to)
                .into_iter()
                .map(|t| {
                    let fmt = |x: DateTime<Utc>| {
                        x.with_timezone(&zone)
                            .to_rfc3339_opts(SecondsFormat::Secs, false)
                    };
                    json!({ "start": fmt(t), "end": fmt(t + rule.duration) })
                })
                .collect();
            answer["slots"] = Value::Array(slots);
        }
    }
    Ok(answer)
}

/// Moves the parent's session to `new_time` (kept with its offset, so the answer and the notice
/// speak in the parent's offset): 200 with the moved session, or the refusal.
pub async fn reschedule(
    ctx: &AppContext,
    parent_id: Uuid,
    id: Uuid,
    new_time: DateTime<FixedOffset>,
    reason: Option<String>,
) -> Result<(u16, Value), ApiError> {
    let settings = settings(&ctx.settings);
    let to = new_time.with_timezone(&Utc);
    let offset = *new_time.offset();
    let now = Utc::now();

    let mut client = ctx.pool.get().await?;
    let tx = (**client).transaction().await?;
    let s = store::lock_session_for_parent(&tx, id, parent_id)
        .await?
        .ok_or_else(not_found)?;
    reschedule_rule::check(&s.state, now, settings.notice).map_err(refused)?;
    let (Some(coach), Some(enrollment)) = (s.coach_id, s.enrollment_id) else {
        return Err(refused(Refusal::NotReschedulable));
    };
    store::lock_coach_and_child(&tx, coach, s.child_id).await?;
    let rule = rule_context(&tx, &s, coach, to, to + Duration::minutes(1), now, settings).await?;
    if !slot_rule::allows(&rule, to) {
        return Err(refused(Refusal::SlotUnavailable));
    }
    let (used, max) = store::use_reschedule(&tx, enrollment)
        .await?
        .ok_or(refused(Refusal::LimitReached))?;
    let moved = match store::move_session(&tx, id, to, "parent").await {
        Ok(Some(m)) => m,
        Ok(None) => return Err(not_found()),
        // Another writer that does not take our lock: the exclusion constraint still holds.
        Err(e) if e.code() == Some(&SqlState::EXCLUSION_VIOLATION) => {
            return Err(refused(Refusal::SlotUnavailable))
        }
        Err(e) => return Err(e.into()),
    };
    store::insert_history(
        &tx,
        id,
        Some(enrollment),
        moved.rescheduled_from,
        to,
        "parent",
        reason.as_deref(),
    )
    .await?;
    let zone = coach_zone(&s);
    let child = s.child_name.clone().unwrap_or_else(|| "your child".into());
    let old = moved.rescheduled_from.unwrap_or(to);
    let parent_zone = offset;
    let ids = vec![
        enqueue_notification(
            &tx,
            "session_rescheduled_parent",
            CATEGORY_TRANSACTIONAL,
            json!({ "parentId": parent_id }),
            json!({
                "sessionId": id, "childName": child,
                "oldDateTime": old.with_timezone(&parent_zone).format("%a %d %b %Y, %H:%M (UTC%:z)").to_string(),
                "newDateTime": to.with_timezone(&parent_zone).format("%a %d %b %Y, %H:%M (UTC%:z)").to_string(),
            }),
        )
        .await?,
        enqueue_notification(
            &tx,
            "session_rescheduled_coach",
            CATEGORY_TRANSACTIONAL,
            json!({ "coachId": coach }),
            json!({
                "sessionId": id, "childName": child,
                "oldDateTime": spoken(old, &zone), "newDateTime": spoken(to, &zone),
            }),
        )
        .await?,
        enqueue(
            &tx,
            TOPIC_CALENDAR,
            json!({ "sessionId": id, "scheduledTime": to }),
        )
        .await?,
    ];
    tx.commit().await?;
    drop(client);
    ctx.publisher().publish(&ctx.pool, &ids).await;
    tracing::info!(session_id = %id, used, max, "session rescheduled");
    let fmt = |t: DateTime<Utc>| {
        t.with_timezone(&offset)
            .to_rfc3339_opts(SecondsFormat::Secs, false)
    };
    Ok((
        200,
        json!({
            "session": {
                "id": moved.id,
                "scheduledTime": fmt(moved.scheduled_time),
                "rescheduledFrom": moved.rescheduled_from.map(fmt),
                "durationMinutes": moved.duration_minutes,
                "status": moved.status,
            },
            "reschedulesUsed": used,
            "reschedulesLeft": reschedule_rule::left(used, max),
        }),
    ))
}
