//! `GET /parent/sessions/{sessionId}/available-slots` (available-slots),
//! `POST /parent/sessions/{sessionId}/reschedule` (reschedule) and the calendar queue's consumer
//! (calendar-sync).
use super::service::{self, not_found};
use super::store::{self};
use super::zone::Zone;
use crate::runtime::context::AppContext;
use crate::runtime::http::{
    body_bytes, header, json_body, json_response, path_param, respond, ApiError, FieldErrors,
    SingleParams, MAX_JSON_BODY,
};
use crate::runtime::idempotency::{self, NextAction};
use chrono::{DateTime, FixedOffset, NaiveDate};
use lambda_http::{Body, Request, Response};
use serde::Deserialize;
use uuid::Uuid;

pub const SLOTS_FUNCTION: &str = "available-slots";
pub const RESCHEDULE_FUNCTION: &str = "reschedule";

fn session_id(req: &Request) -> Result<Uuid, ApiError> {
    path_param(req, "sessionId")
        .and_then(|s| Uuid::parse_str(&s).ok())
        .ok_or_else(|| ApiError::invalid_field("sessionId", "must be a UUID"))
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
        let answer = service::offered_slots(
            &**client,
            &ctx.settings,
            parent.parent_id,
            id,
            zone,
            week_start,
        )
        .await?;
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
        let (parent, id) = {
            let client = ctx.pool.get().await?;
            let parent = jwt.require_parent(&**client, caller).await?;
            let id = session_id(&req)?;
            store::session_for_parent(&**client, id, parent.parent_id)
                .await?
                .ok_or_else(not_found)?;
            (parent, id)
        };
        let bytes = body_bytes(&req, MAX_JSON_BODY)?;
        let key = header(&req, "idempotency-key");
        let scope = format!("{RESCHEDULE_FUNCTION}:{}", parent.parent_id);
        let claim = match idempotency::try_processing(&ctx.pool, &scope, key, bytes).await? {
            NextAction::ReturnSavedResponse(saved) => return Ok(saved),
            NextAction::StartProcessing(claim) => claim,
        };
        let result = match json_body::<RescheduleBody>(&req, MAX_JSON_BODY) {
            Ok(body) => {
                let reason = body.reason.map(|r| r.0).filter(|r| !r.is_empty());
                service::reschedule(ctx, parent.parent_id, id, body.new_date_time.0, reason).await
            }
            Err(e) => Err(e),
        };
        idempotency::save_response(&ctx.pool, claim, &rid, result).await
    })
    .await
}
