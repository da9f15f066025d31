//! `GET /parent/sessions/{sessionId}/available-slots` (available-slots),
//! `POST /parent/sessions/{sessionId}/reschedule` (reschedule) and the calendar queue's consumer
//! (calendar-sync).
use super::reschedule_rule::{self, Refusal};
use super::slot_rule::{self, Context, Settings};
use super::store::{self, Session};
use super::zone::Zone;
use crate::runtime::context::AppContext;
use crate::runtime::http::{
    body_bytes, header, json_response, path_param, respond, ApiError, FieldErrors, SingleParams,
    MAX_JSON_BODY,
};
use crate::runtime::idempotency::{self, NextAction};
use crate::runtime::outbox::{
    enqueue, enqueue_notification, CATEGORY_TRANSACTIONAL, TOPIC_CALENDAR,
};
use chrono::{
    DateTime, Duration, FixedOffset, LocalResult, NaiveDate, SecondsFormat, TimeZone, Utc,
};
use lambda_http::{Body, Request, Response};
use serde::Deserialize;
use serde_json::{json, Value};
use tokio_postgres::error::SqlState;
use uuid::Uuid;

pub const SLOTS_FUNCTION: &str = "available-slots";
pub const RESCHEDULE_FUNCTION: &str = "reschedule";

/// The slot rule's settings, from the function's typed settings (defaults 24 h, 60 days, 30
/// minutes).
pub fn settings(s: &crate::runtime::settings::Settings) -> Settings {
    Settings {
        notice: Duration::hours(s.reschedule_notice_hours),
        horizon: Duration::days(s.reschedule_horizon_days),
        grid_minutes: s.slot_grid_minutes,
    }
}

fn session_id(req: &Request) -> Result<Uuid, ApiError> {
    path_param(req, "sessionId")
        .and_then(|s| Uuid::parse_str(&s).ok())
        .ok_or_else(|| ApiError::invalid_field("sessionId", "must be a UUID"))
}

fn not_found() -> ApiError {
    ApiError::NotFound("no such session among your children's".into())
}

fn refused(r: Refusal) -> ApiError {
    ApiError::Conflict {
        code: r.code(),
        message: r.message().into(),
    }
}

/// The first instant of a local date (midnight, or the first time after a skipped midnight).
fn start_of_day(zone: &Zone, date: NaiveDate) -> Option<DateTime<Utc>> {
    (0..=3).find_map(
        |h| match zone.from_local_datetime(&date.and_hms_opt(h, 0, 0)?) {
            LocalResult::Single(t) | LocalResult::Ambiguous(t, _) => Some(t.with_timezone(&Utc)),
            LocalResult::None => None,
        },
    )
}

fn coach_zone(s: &Session) -> Zone {
    s.coach_zone
        .as_deref()
        .and_then(Zone::named)
        .unwrap_or_else(Zone::kolkata)
}

/// The slot rule's context for a session, with the busy time of `[from, to)`.
async fn rule_context(
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

pub async fn handle_slots(ctx: &AppContext, req: Request) -> Response<Body> {
    respond(SLOTS_FUNCTION, req, |req, _rid| async move {
        let jwt = ctx.jwt()?;
        let caller = jwt.caller(&req).await?;
        let client = ctx.pool.get().await?;
        let parent = jwt.require_parent(&**client, caller).await?;
        let id = session_id(&req)?;
        let params = SingleParams::of(&req);
        let mut errors = FieldErrors::default();
        let one = |name: &str, errors: &mut FieldErrors| params.one(name, errors);
        let zone = match one("timeZone", &mut errors) {
            None => Zone::kolkata(),
            Some(z) => Zone::named(&z).unwrap_or_else(|| {
                errors.add("timeZone", "must be an IANA time zone such as Asia/Kolkata");
                Zone::kolkata()
            }),
        };
        let week_start = one("weekStart", &mut errors).and_then(|d| {
            let parsed = NaiveDate::parse_from_str(&d, "%Y-%m-%d").ok();
            if parsed.is_none() {
                errors.add("weekStart", "must be a date, YYYY-MM-DD");
            }
            parsed
        });
        errors.into_result()?;
        let settings = settings(&ctx.settings);
        let s = store::session_for_parent(&**client, id, parent.parent_id)
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
                let rule = rule_context(&**client, &s, coach, from, to, now, settings).await?;
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
        Ok(json_response(200, &answer))
    })
    .await
}

/// An RFC 3339 time with its offset, kept so the answer speaks in the parent's offset.
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(try_from = "String")]
struct NewTime(DateTime<FixedOffset>);

impl TryFrom<String> for NewTime {
    type Error = &'static str;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        DateTime::parse_from_rfc3339(s.trim())
            .map(NewTime)
            .map_err(|_| "must be an RFC 3339 time with an offset, e.g. 2026-12-01T16:00:00+05:30")
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(try_from = "String")]
struct Reason(String);

impl TryFrom<String> for Reason {
    type Error = &'static str;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        if s.chars().count() <= 500 {
            Ok(Reason(s.trim().to_string()))
        } else {
            Err("must be at most 500 characters")
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct RescheduleBody {
    new_date_time: NewTime,
    #[serde(default)]
    reason: Option<Reason>,
}

pub async fn handle_reschedule(ctx: &AppContext, req: Request) -> Response<Body> {
    respond(RESCHEDULE_FUNCTION, req, |req, rid| async move {
        let jwt = ctx.jwt()?;
        let caller = jwt.caller(&req).await?;
        let parent = {
            let client = ctx.pool.get().await?;
            let parent = jwt.require_parent(&**client, caller).await?;
            let id = session_id(&req)?;
            store::session_for_parent(&**client, id, parent.parent_id)
                .await?
                .ok_or_else(not_found)?;
            parent
        };
        let bytes = body_bytes(&req, MAX_JSON_BODY)?;
        let key = header(&req, "idempotency-key");
        let scope = format!("{RESCHEDULE_FUNCTION}:{}", parent.parent_id);
        let claim = match idempotency::try_processing(&ctx.pool, &scope, key, bytes).await? {
            NextAction::ReturnSavedResponse(saved) => return Ok(saved),
            NextAction::StartProcessing(claim) => claim,
        };
        let result = reschedule(ctx, &req, parent.parent_id).await;
        idempotency::save_response(&ctx.pool, claim, &rid, result).await
    })
    .await
}

fn spoken(t: DateTime<Utc>, zone: &Zone) -> String {
    t.with_timezone(zone)
        .format("%a %d %b %Y, %H:%M %Z")
        .to_string()
}

async fn reschedule(
    ctx: &AppContext,
    req: &Request,
    parent_id: Uuid,
) -> Result<(u16, Value), ApiError> {
    let body: RescheduleBody = crate::runtime::http::json_body(req, MAX_JSON_BODY)?;
    let id = session_id(req)?;
    let settings = settings(&ctx.settings);
    let to = body.new_date_time.0.with_timezone(&Utc);
    let offset = *body.new_date_time.0.offset();
    let reason = body.reason.map(|r| r.0).filter(|r| !r.is_empty());
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
