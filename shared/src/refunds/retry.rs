//! `POST /admin/refunds/{terminationId}/retry` (function refund-retry). Admins only. A refund that
//! failed — refused by Razorpay, or failed by Razorpay after it accepted it — is tried again: the
//! same amount, a new attempt under a new idempotency key (`attempt::idempotency_key`), the ended
//! attempt kept in `refund_attempts`. Only a `failed` termination can be retried, so two clicks at
//! once make one attempt: the second finds it `pending` and gets 409.
use super::service::{attempt_refund, termination_json, Settled};
use super::store::{self, RefundStatus};
use crate::runtime::context::AppContext;
use crate::runtime::http::{json_response, path_param, respond, ApiError};
use lambda_http::{Body, Request, Response};
use serde_json::json;
use uuid::Uuid;

pub const FUNCTION: &str = "refund-retry";

pub async fn handle(ctx: &AppContext, req: Request) -> Response<Body> {
    respond(FUNCTION, req, |req, _rid| async move {
        let admin = ctx.jwt()?.require_admin(&req).await?;
        let id = path_param(&req, "terminationId")
            .and_then(|s| Uuid::parse_str(&s).ok())
            .ok_or_else(|| ApiError::invalid_field("terminationId", "must be a UUID"))?;
        let gateway = ctx.razorpay()?;

        let termination = {
            let mut client = ctx.pool.get().await?;
            let tx = (**client).transaction().await?;
            let current = store::lock_termination(&tx, id)
                .await?
                .ok_or_else(|| ApiError::NotFound("no termination with this id".into()))?;
            if current.refund_status != RefundStatus::Failed {
                return Err(ApiError::Conflict {
                    code: "not_failed",
                    message: format!(
                        "only a failed refund can be retried; this one is {}",
                        current.refund_status.as_str()
                    ),
                });
            }
            if store::other_active_exists(&tx, current.enrollment_id, current.id).await? {
                return Err(ApiError::Conflict {
                    code: "refund_in_progress",
                    message: "another refund of this enrollment is active".into(),
                });
            }
            store::insert_attempt_history(&tx, &current, &admin.actor()).await?;
            let next = store::begin_next_attempt(&tx, id)
                .await?
                .ok_or_else(|| ApiError::Internal(anyhow::anyhow!("termination moved")))?;
            tx.commit().await?;
            next
        };
        tracing::info!(termination_id = %id, attempt = termination.refund_attempt, "refund retry recorded as pending");

        let history = |t| async move {
            let client = ctx.pool.get().await?;
            Ok::<_, ApiError>(store::attempt_history(&**client, t).await?)
        };
        match attempt_refund(ctx, gateway, &termination).await? {
            Settled::Accepted(t, refund_id) => Ok(json_response(
                201,
                &json!({
                    "termination": termination_json(&t),
                    "razorpayRefundId": refund_id,
                    "previousAttempts": history(id).await?,
                }),
            )),
            Settled::Unknown => Ok(json_response(
                202,
                &json!({
                    "termination": termination_json(&termination),
                    "razorpayRefundId": null,
                    "previousAttempts": history(id).await?,
                    "message": "the retry is recorded; Razorpay's answer is not known yet and will be checked again",
                }),
            )),
        }
    })
    .await
}
