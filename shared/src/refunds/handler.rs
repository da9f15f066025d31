//! `POST /admin/refunds`: quote, record, refund through Razorpay, then end the enrollment — in
//! that order, so that money never moves without a record and never moves twice.
use super::refund_request::RefundRequest;
use super::service;
use crate::runtime::context::AppContext;
use crate::runtime::http::{body_bytes, header, json_body, respond, MAX_JSON_BODY};
use crate::runtime::idempotency::{self, NextAction};
use lambda_http::{Body, Request, Response};

pub const FUNCTION: &str = "refund-initiate";

pub async fn handle(ctx: &AppContext, req: Request) -> Response<Body> {
    respond(FUNCTION, req, |req, rid| async move {
        let admin = ctx.jwt()?.require_admin(&req).await?;
        let bytes = body_bytes(&req, MAX_JSON_BODY)?;
        let key = header(&req, "idempotency-key");
        let scope = format!("{FUNCTION}:{}", admin.user_id);
        let actor = admin.actor();
        let claim = match idempotency::try_processing(&ctx.pool, &scope, key, bytes).await? {
            NextAction::ReturnSavedResponse(saved) => return Ok(saved),
            NextAction::StartProcessing(claim) => claim,
        };
        let result = match json_body::<RefundRequest>(&req, MAX_JSON_BODY) {
            Ok(input) => service::initiate(ctx, input, &actor).await,
            Err(e) => Err(e),
        };
        idempotency::save_response(&ctx.pool, claim, &rid, result).await
    })
    .await
}
