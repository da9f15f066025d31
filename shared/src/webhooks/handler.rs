//! `POST /webhooks/razorpay`. Razorpay delivers at least once, in any order, and disables the
//! endpoint after a day of failures: every answer is fast, and a repeat is a harmless 200.
use super::service;
use crate::clients::razorpay::WebhookEvent;
use crate::runtime::context::AppContext;
use crate::runtime::http::{header, json_response, respond, ApiError};
use crate::runtime::inbound::{signature, MAX_WEBHOOK_BODY};
use lambda_http::{Body, Request, Response};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

pub const FUNCTION: &str = "payment-webhook";

pub async fn handle(ctx: &AppContext, req: Request) -> Response<Body> {
    respond(FUNCTION, req, |req, _rid| async move {
        let body = signature::verified_body(
            ctx.settings.razorpay_webhook_secret.as_ref(),
            &req,
            "RAZORPAY_WEBHOOK_SECRET",
            "X-Razorpay-Signature",
            MAX_WEBHOOK_BODY,
        )?;
        let event: WebhookEvent = serde_json::from_slice(body).map_err(|_| {
            ApiError::bad_request("the webhook body is not a Razorpay event", Value::Null)
        })?;
        // Razorpay always sends the id; if a proxy dropped it, identical bytes are one event.
        let event_id = header(&req, "x-razorpay-event-id")
            .map(str::trim)
            .filter(|s| !s.is_empty() && s.len() <= 200)
            .map(str::to_string)
            .unwrap_or_else(|| format!("sha256:{}", hex::encode(Sha256::digest(body))));
        let raw = String::from_utf8_lossy(body).into_owned();
        let outcome = service::process(ctx, &event_id, &event, &raw).await?;
        tracing::info!(event_id, event = %event.event, outcome, "webhook handled");
        Ok(json_response(200, &json!({ "status": outcome })))
    })
    .await
}
