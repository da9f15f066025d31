//! `POST /webhooks/cal` (function cal-webhook) and `GET /admin/discovery-calls/link-report`
//! (function discovery-link-report).
use super::booking::{replay, CalEvent};
use super::store;
use crate::runtime::context::AppContext;
use crate::runtime::http::{json_response, respond, ApiError};
use crate::runtime::inbound::MAX_WEBHOOK_BODY;
use crate::runtime::inbound::{signature, store as events};
use lambda_http::{Body, Request, Response};
use serde_json::{json, Value};
use tokio_postgres::GenericClient;

pub const WEBHOOK_FUNCTION: &str = "cal-webhook";
pub const REPORT_FUNCTION: &str = "discovery-link-report";
const PROVIDER: &str = "cal";

pub async fn handle_webhook(ctx: &AppContext, req: Request) -> Response<Body> {
    respond(WEBHOOK_FUNCTION, req, |req, _rid| async move {
        // Cal.com sends unsigned deliveries when no secret is set: those are refused too.
        let body = signature::verified_body(
            ctx.settings.cal_webhook_secret.as_ref(),
            &req,
            "CAL_WEBHOOK_SECRET",
            "X-Cal-Signature-256",
            MAX_WEBHOOK_BODY,
        )?;
        let event: CalEvent = serde_json::from_slice(body).map_err(|_| {
            ApiError::bad_request("the webhook body is not a Cal.com event", Value::Null)
        })?;
        let raw = String::from_utf8_lossy(body).into_owned();
        let outcome = process(ctx, &event, &raw).await?;
        tracing::info!(trigger = %event.trigger_event, outcome, "cal webhook handled");
        Ok(json_response(200, &json!({ "status": outcome })))
    })
    .await
}

async fn process(ctx: &AppContext, event: &CalEvent, raw: &str) -> Result<&'static str, ApiError> {
    let event_id = event.event_id();
    let mut client = ctx.pool.get().await?;
    let tx = (**client).transaction().await?;
    store::lock_calls(&tx).await?;
    let Some(row_id) =
        events::insert_event(&tx, PROVIDER, &event_id, &event.trigger_event, raw).await?
    else {
        tx.commit().await?;
        return Ok("duplicate");
    };
    let outcome = match event.booking() {
        None => "stored",
        Some(b) => {
            store::insert_booking_event(&tx, &event_id, &b.uid, b.reschedule_uid.as_deref(), raw)
                .await?;
            apply_chain(&tx, b.uid.clone(), b.reschedule_uid.clone()).await?
        }
    };
    events::mark_event_processed(&tx, row_id, None).await?;
    tx.commit().await?;
    Ok(outcome)
}

/// Replays every event of the booking chain this event belongs to and writes the one call it
/// makes (merging rows that turned out to be one call).
async fn apply_chain(
    tx: &impl GenericClient,
    uid: String,
    replaced: Option<String>,
) -> Result<&'static str, ApiError> {
    let mut uids: Vec<String> = std::iter::once(uid).chain(replaced).collect();
    let mut bodies: Vec<String>;
    loop {
        let found = store::events_naming(tx, &uids).await?;
        let before = uids.len();
        bodies = Vec::with_capacity(found.len());
        for (u, r, body) in found {
            for x in std::iter::once(u).chain(r) {
                if !uids.contains(&x) {
                    uids.push(x);
                }
            }
            bodies.push(body);
        }
        if uids.len() == before || uids.len() > 200 {
            break;
        }
    }
    let bookings = bodies
        .iter()
        .filter_map(|b| serde_json::from_str::<CalEvent>(b).ok())
        .filter_map(|e| e.booking())
        .collect();
    let Some(call) = replay(bookings) else {
        return Ok("stored");
    };
    let rows = store::lock_calls_with_uids(tx, &uids).await?;
    let keep = rows.first().copied();
    if rows.len() > 1 {
        store::delete_calls(tx, &rows[1..]).await?;
    }
    let id = store::save_call(tx, keep, &call).await?;
    if store::link_by_metadata(tx, id).await? == 0 {
        store::link_by_rule(tx, id).await?;
    }
    Ok(if keep.is_some() { "updated" } else { "created" })
}

pub async fn handle_report(ctx: &AppContext, req: Request) -> Response<Body> {
    respond(REPORT_FUNCTION, req, |req, _rid| async move {
        ctx.jwt()?.require_admin(&req).await?;
        let client = ctx.pool.get().await?;
        let report = store::link_report(&**client).await?;
        Ok(json_response(200, &report))
    })
    .await
}
