//! `POST /admin/refunds`: quote, record, refund through Razorpay, then end the enrollment — in
//! that order, so that money never moves without a record and never moves twice.
use super::calculator::{self, Calculation};
use super::store::{self, InsertError, NewTermination, RefundStatus, Termination};
use super::{accept_effects, apply_gateway_refund, attempt, Applied};
use crate::clients::razorpay::{CreateRefund, GatewayError, RazorpayClient, Refund};
use crate::runtime::context::AppContext;
use crate::runtime::http::{body_bytes, header, respond, ApiError, MAX_JSON_BODY};
use crate::runtime::idempotency;
use lambda_http::{Body, Request, Response};
use serde_json::{json, Value};
use uuid::Uuid;

pub const FUNCTION: &str = "refund-initiate";

/// The body of `POST /admin/refunds`. Unknown fields are refused: a mistyped `dry_run` must
/// not turn a quote into a real refund. Each field validates on construction.
#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct RefundRequest {
    pub enrollment_id: Uuid,
    pub reason: Reason,
    #[serde(default)]
    pub notes: Option<Notes>,
    #[serde(default)]
    pub dry_run: Option<bool>,
}

/// Why the enrollment ends: 10 to 500 characters once trimmed.
#[derive(Debug, serde::Deserialize)]
#[serde(try_from = "String")]
pub struct Reason(String);

impl TryFrom<String> for Reason {
    type Error = &'static str;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        let s = s.trim();
        if (10..=500).contains(&s.chars().count()) {
            Ok(Reason(s.to_string()))
        } else {
            Err("must be 10 to 500 characters")
        }
    }
}

impl Reason {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// An admin's free-text note: at most 2000 characters.
#[derive(Debug, serde::Deserialize)]
#[serde(try_from = "String")]
pub struct Notes(String);

impl TryFrom<String> for Notes {
    type Error = &'static str;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        if s.chars().count() <= 2000 {
            Ok(Notes(s))
        } else {
            Err("must be at most 2000 characters")
        }
    }
}

impl Notes {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

pub async fn handle(ctx: &AppContext, req: Request) -> Response<Body> {
    respond(FUNCTION, req, |req, rid| async move {
        let admin = ctx.jwt()?.require_admin(&req).await?;
        let bytes = body_bytes(&req, MAX_JSON_BODY)?;
        let key = header(&req, "idempotency-key");
        let scope = format!("{FUNCTION}:{}", admin.user_id);
        let actor = admin.actor();
        idempotency::once(&ctx.pool, &scope, key, bytes, &rid, || {
            initiate(ctx, &req, &actor)
        })
        .await
    })
    .await
}

pub(crate) fn termination_json(t: &Termination) -> Value {
    serde_json::to_value(t).unwrap_or(Value::Null)
}

async fn initiate(ctx: &AppContext, req: &Request, actor: &str) -> Result<(u16, Value), ApiError> {
    let input: RefundRequest = crate::runtime::http::json_body(req, MAX_JSON_BODY)?;
    let coach_percent = ctx
        .config
        .coach_cost_percent()
        .map_err(|e| ApiError::unavailable(e.to_string()))?;
    // Fail before writing anything when the gateway is not configured.
    let gateway = ctx.razorpay()?;

    // Step 1: lock the enrollment, refuse if terminated or a refund is active, record `pending`.
    let mut client = ctx.pool.get().await?;
    let tx = (**client).transaction().await?;
    let enrollment = store::lock_enrollment(&tx, input.enrollment_id)
        .await?
        .ok_or_else(|| ApiError::NotFound("no enrollment with this id".into()))?;
    // After the lock, in a statement of its own: it sees a termination committed meanwhile.
    let facts = store::refund_facts(&tx, enrollment.id).await?;
    if let Some(active) = facts.active_status {
        return Err(ApiError::Conflict {
            code: if active == RefundStatus::Completed {
                "already_refunded"
            } else {
                "refund_in_progress"
            },
            message: format!(
                "a refund for this enrollment is already {}",
                active.as_str()
            ),
        });
    }
    if enrollment.status == "terminated" {
        return Err(ApiError::Conflict {
            code: "already_terminated",
            message: "this enrollment is already terminated".into(),
        });
    }
    let payment = facts.payment.ok_or(ApiError::Conflict {
        code: "no_captured_payment",
        message: "this enrollment has no captured payment to refund".into(),
    })?;
    let completed = facts.sessions_completed;
    let calc = calculator::quote(
        payment.amount,
        enrollment.sessions_total,
        completed,
        coach_percent,
        Some(payment.captured_at),
        chrono::Utc::now(),
    )
    .map_err(|e| ApiError::Conflict {
        code: "not_refundable",
        message: e.to_string(),
    })?;
    if input.dry_run.unwrap_or(false) {
        tx.rollback().await?;
        return Ok((200, json!({ "dryRun": true, "calculation": calc })));
    }
    let termination = match store::insert_termination(
        &tx,
        &NewTermination {
            enrollment_id: enrollment.id,
            reason: input.reason.as_str(),
            notes: input.notes.as_ref().map(Notes::as_str),
            calc: &calc,
            razorpay_payment_id: &payment.razorpay_payment_id,
            created_by: actor,
        },
    )
    .await
    {
        Ok(t) => t,
        Err(InsertError::ActiveExists) => {
            return Err(ApiError::Conflict {
                code: "refund_in_progress",
                message: "a refund for this enrollment is already in progress".into(),
            })
        }
        Err(InsertError::Db(e)) => return Err(e.into()),
    };
    if calc.refund_amount == 0 {
        // Nothing to send back (every session used): end the enrollment without a gateway call.
        let mut applied = Applied::default();
        let done = store::advance(&tx, termination.id, RefundStatus::Completed, None, None)
            .await?
            .unwrap_or(termination);
        accept_effects(&tx, &done, &mut applied).await?;
        tx.commit().await?;
        ctx.publisher().publish(&ctx.pool, &applied.outbox).await;
        return Ok((
            201,
            json!({ "termination": termination_json(&done), "calculation": calc, "razorpayRefundId": null }),
        ));
    }
    tx.commit().await?;
    drop(client);
    tracing::info!(termination_id = %termination.id, enrollment_id = %enrollment.id, "refund recorded as pending");

    // Step 2: ask Razorpay, with the termination's attempt key; step 3: record the outcome.
    match attempt_refund(ctx, gateway, &termination).await? {
        Settled::Accepted(t, refund_id) => Ok((
            201,
            json!({ "termination": termination_json(&t), "calculation": calc, "razorpayRefundId": refund_id }),
        )),
        Settled::Unknown => Ok(accepted_unknown(&termination, &calc)),
    }
}

/// What one attempt at Razorpay came to, when it did not end in a refusal.
pub(crate) enum Settled {
    /// Razorpay holds the refund and it is recorded (processing or completed).
    Accepted(Box<Termination>, String),
    /// No definite answer: the termination stays `pending` for refund-sync-cron.
    Unknown,
}

/// Sends the termination's current attempt to Razorpay and records the outcome. A refusal
/// fails the termination (502) only after Razorpay's list of the payment's refunds shows none
/// made by this attempt: a refusal can follow a request that did its work but whose answer was
/// lost, and a termination failed while Razorpay holds its refund invites a second refund.
pub(crate) async fn attempt_refund(
    ctx: &AppContext,
    gateway: &RazorpayClient,
    termination: &Termination,
) -> Result<Settled, ApiError> {
    let (status, code, description) = match request_refund(gateway, termination).await {
        Ok(refund) => return Ok(record_or_leave(ctx, termination, &refund).await),
        Err(GatewayError::Unknown(why)) => {
            tracing::warn!(termination_id = %termination.id, why, "refund outcome unknown; left pending for refund-sync-cron");
            return Ok(Settled::Unknown);
        }
        Err(GatewayError::Refused {
            status,
            code,
            description,
        }) => (status, code, description),
    };
    let refunds = match gateway.list_refunds(&termination.razorpay_payment_id).await {
        Ok(refunds) => refunds,
        Err(e) => {
            tracing::warn!(termination_id = %termination.id, error = %e, "refused, and Razorpay's refund list is unavailable; left pending");
            return Ok(Settled::Unknown);
        }
    };
    if let Some(refund) =
        attempt::current(termination.id, termination.refund_attempt, None, &refunds)
            .filter(|r| r.status != "failed")
    {
        tracing::warn!(termination_id = %termination.id, refund_id = %refund.id, "refused, but Razorpay holds this attempt's refund: adopted");
        return Ok(record_or_leave(ctx, termination, refund).await);
    }
    let client = ctx.pool.get().await?;
    store::advance(
        &**client,
        termination.id,
        RefundStatus::Failed,
        None,
        Some(&description),
    )
    .await?;
    Err(ApiError::BadGateway {
        message: "Razorpay refused the refund; the enrollment is unchanged".into(),
        details: json!({
            "terminationId": termination.id,
            "gatewayStatus": status,
            "gatewayCode": code,
            "reason": description,
        }),
    })
}

async fn record_or_leave(ctx: &AppContext, termination: &Termination, refund: &Refund) -> Settled {
    match record_accepted(ctx, termination, &refund.id, &refund.status).await {
        Ok(t) => Settled::Accepted(Box::new(t), refund.id.clone()),
        Err(e) => {
            // Razorpay has the refund; the sync job will adopt it from the pending row.
            tracing::error!(termination_id = %termination.id, error = %e, "refund accepted but not recorded; left for refund-sync-cron");
            Settled::Unknown
        }
    }
}

/// Asks Razorpay for this termination's refund. The initiate handler, the retry and the sync job
/// all go through here: Razorpay refuses a reused idempotency key with a different body, so
/// every try of one attempt sends exactly the same amount and notes under the attempt's key.
pub(crate) async fn request_refund(
    gateway: &RazorpayClient,
    t: &Termination,
) -> Result<Refund, GatewayError> {
    let notes = attempt::notes(t.id, t.enrollment_id, t.refund_attempt);
    gateway
        .create_refund(
            &t.razorpay_payment_id,
            &CreateRefund {
                amount: t.refund_amount,
                notes: &notes,
            },
            &attempt::idempotency_key(t.id, t.refund_attempt),
        )
        .await
}

fn accepted_unknown(t: &Termination, calc: &Calculation) -> (u16, Value) {
    (
        202,
        json!({
            "termination": termination_json(t),
            "calculation": calc,
            "razorpayRefundId": null,
            "message": "the refund is recorded; Razorpay's answer is not known yet and will be checked again",
        }),
    )
}

/// Stores Razorpay's acceptance and applies its effects in one transaction, then publishes.
pub(crate) async fn record_accepted(
    ctx: &AppContext,
    termination: &Termination,
    refund_id: &str,
    gateway_status: &str,
) -> Result<Termination, ApiError> {
    let mut client = ctx.pool.get().await?;
    let tx = (**client).transaction().await?;
    let locked = store::lock_termination(&tx, termination.id)
        .await?
        .ok_or_else(|| ApiError::Internal(anyhow::anyhow!("termination vanished")))?;
    let applied = apply_gateway_refund(&tx, &locked, refund_id, gateway_status, None).await?;
    tx.commit().await?;
    ctx.publisher().publish(&ctx.pool, &applied.outbox).await;
    Ok(applied.termination.unwrap_or(locked))
}
