//! `GET /payments/retry?token=` (public): gives Razorpay Checkout what it needs to try a failed
//! payment again, and nothing else about the parent.
use super::retry_link::looks_like_token;
use super::service;
use crate::runtime::context::AppContext;
use crate::runtime::http::{json_response, query_param, respond, ApiError};
use lambda_http::{Body, Request, Response};
use serde_json::json;

pub const FUNCTION: &str = "payment-retry";

pub async fn handle(ctx: &AppContext, req: Request) -> Response<Body> {
    respond(FUNCTION, req, |req, _rid| async move {
        let token = query_param(&req, "token").unwrap_or_default();
        if !looks_like_token(&token) {
            return Err(ApiError::NotFound("this payment link is not valid".into()));
        }
        let key_id = ctx
            .settings
            .razorpay_key_id
            .as_deref()
            .ok_or_else(|| ApiError::missing_config(&["RAZORPAY_KEY_ID"]))?;
        let client = ctx.pool.get().await?;
        let link = service::find_retry_link(&**client, &token).await?;
        let Some(link) = link else {
            return Err(ApiError::NotFound("this payment link is not valid".into()));
        };
        if link.used {
            return Err(ApiError::Gone {
                code: "used",
                message: "this payment link was already used: the payment went through".into(),
            });
        }
        if link.expired {
            return Err(ApiError::Gone {
                code: "expired",
                message: "this payment link has expired; please ask us for a new one".into(),
            });
        }
        Ok(json_response(
            200,
            &json!({
                "order": {
                    "id": link.order_id,
                    "amount": link.amount.unwrap_or(0),
                    "currency": link.currency,
                },
                "prefill": {
                    "name": link.parent_name,
                    "email": link.parent_email,
                    "contact": link.parent_phone,
                },
                "keyId": key_id,
            }),
        ))
    })
    .await
}
