//! `POST /webhooks/cal` (function cal-webhook) and `GET /admin/discovery-calls/link-report`
//! (function discovery-link-report).
use super::booking::CalEvent;
use super::service;
use super::store;
use crate::runtime::context::AppContext;
use crate::runtime::http::{json_response, respond, ApiError};
use crate::runtime::inbound::signature;
use crate::runtime::inbound::MAX_WEBHOOK_BODY;
use lambda_http::{Body, Request, Response};
use serde_json::{json, Value};

pub const WEBHOOK_FUNCTION: &str = "cal-webhook";
pub const REPORT_FUNCTION: &str = "discovery-link-report";

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
        let outcome = service::process(ctx, &event, &raw).await?;
        tracing::info!(trigger = %event.trigger_event, outcome, "cal webhook handled");
        Ok(json_response(200, &json!({ "status": outcome })))
    })
    .await
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
