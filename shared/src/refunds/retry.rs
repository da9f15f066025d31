//! `POST /admin/refunds/{terminationId}/retry` (function refund-retry). Admins only. A refund that
//! failed — refused by Razorpay, or failed by Razorpay after it accepted it — is tried again: the
//! same amount, a new attempt under a new idempotency key (`attempt::idempotency_key`), the ended
//! attempt kept in `refund_attempts`. Only a `failed` termination can be retried, so two clicks at
//! once make one attempt: the second finds it `pending` and gets 409.
use super::service;
use crate::runtime::context::AppContext;
use crate::runtime::http::{json_response, path_param, respond, ApiError};
use lambda_http::{Body, Request, Response};
use uuid::Uuid;

pub const FUNCTION: &str = "refund-retry";

pub async fn handle(ctx: &AppContext, req: Request) -> Response<Body> {
    respond(FUNCTION, req, |req, _rid| async move {
        let admin = ctx.jwt()?.require_admin(&req).await?;
        let id = path_param(&req, "terminationId")
            .and_then(|s| Uuid::parse_str(&s).ok())
            .ok_or_else(|| ApiError::invalid_field("terminationId", "must be a UUID"))?;
        let (status, answer) = service::retry(ctx, id, &admin.actor()).await?;
        Ok(json_response(status, &answer))
    })
    .await
}
