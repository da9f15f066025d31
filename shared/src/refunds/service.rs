//! The refund service: every path that moves a refund goes through here — the initiate
//! handler, the retry endpoint, the sync cron and Razorpay's refund webhooks. It holds the
//! transactions, the gateway calls and the outbox rows; the rules it applies are in
//! `calculator`, `attempt` and `refund_status`, the statements in `store`.
use super::attempt;
use super::calculator::{self, Calculation};
use super::refund_request::{Notes, RefundRequest};
use super::refund_status::status_from_gateway;
use super::store::{self, InsertError, NewTermination, RefundStatus, Termination};
use crate::clients::razorpay::{
    note_str, present, CreateRefund, GatewayError, RazorpayClient, Refund, WebhookEvent,
};
use crate::runtime::context::AppContext;
use crate::runtime::http::ApiError;
use crate::runtime::inbound::EventEffect;
use crate::runtime::outbox::{enqueue_notification, CATEGORY_TRANSACTIONAL};
use serde_json::{json, Value};
use tokio_postgres::GenericClient;
use uuid::Uuid;

/// What applying a gateway fact changed, and the outbox rows to publish after commit.
#[derive(Debug, Default)]
pub struct Applied {
    pub termination: Option<Termination>,
    pub outbox: Vec<Uuid>,
    pub moved: bool,
}

/// Applies what Razorpay says of a refund to a locked termination, forward only. Call inside the
/// transaction that holds the termination's row lock. Repeats and late events change nothing.
pub async fn apply_gateway_refund(
    tx: &impl GenericClient,
    termination: &Termination,
    refund_id: &str,
    gateway_status: &str,
    failure_reason: Option<&str>,
) -> Result<Applied, tokio_postgres::Error> {
    let target = status_from_gateway(gateway_status);
    let mut applied = Applied {
        termination: Some(termination.clone()),
        ..Applied::default()
    };
    let mut current = termination.clone();

    // A termination we had marked failed, whose refund Razorpay reports processed after all (an
    // answer lost after a timeout, a refund made by hand): adopt it — the money has moved, so the
    // enrollment ends — and tell an admin. Only `processed` revives: it is final at Razorpay,
    // whereas a late `refund.created` may predate the failure.
    if current.refund_status == RefundStatus::Failed && target == RefundStatus::Completed {
        let conflict = store::other_active_exists(tx, current.enrollment_id, current.id).await?;
        let revived = if conflict {
            None
        } else {
            store::revive_failed(tx, current.id, refund_id).await?
        };
        let id = enqueue_notification(
            tx,
            "refund_adopted_admin",
            CATEGORY_TRANSACTIONAL,
            json!({ "admin": true }),
            json!({
                "terminationId": current.id,
                "enrollmentId": current.enrollment_id,
                "refundAmount": current.refund_amount,
                "razorpayRefundId": refund_id,
                // Another termination of the enrollment is active: two refunds may exist.
                "conflict": conflict,
            }),
        )
        .await?;
        applied.outbox.push(id);
        tracing::warn!(termination_id = %current.id, refund_id, conflict, "refund processed for a failed termination");
        if let Some(t) = revived {
            accept_effects(tx, &t, &mut applied).await?;
            current = t;
            applied.moved = true;
        }
    }

    // Razorpay accepted the refund: the enrollment ends now (step 3: the record, then the money, then the enrollment).
    if current.refund_status == RefundStatus::Pending && target != RefundStatus::Failed {
        if let Some(t) = store::advance(
            tx,
            current.id,
            RefundStatus::Processing,
            Some(refund_id),
            None,
        )
        .await?
        {
            accept_effects(tx, &t, &mut applied).await?;
            current = t;
            applied.moved = true;
        }
    }
    if target.is_terminal() && !current.refund_status.is_terminal() {
        let reason = failure_reason
            .filter(|r| !r.is_empty())
            .or(Some("refund failed at Razorpay"));
        let reason = if target == RefundStatus::Failed {
            reason
        } else {
            None
        };
        if let Some(t) = store::advance(tx, current.id, target, Some(refund_id), reason).await? {
            let contact = store::enrollment_contact(tx, t.enrollment_id).await?;
            let id = if target == RefundStatus::Completed {
                enqueue_notification(
                    tx,
                    "refund_completed",
                    CATEGORY_TRANSACTIONAL,
                    json!({ "parentId": contact.parent_id }),
                    json!({
                        "childName": contact.child_name,
                        "refundAmount": t.refund_amount,
                        "terminationId": t.id,
                        "razorpayRefundId": refund_id,
                    }),
                )
                .await?
            } else {
                enqueue_notification(
                    tx,
                    "refund_failed_admin",
                    CATEGORY_TRANSACTIONAL,
                    json!({ "admin": true }),
                    json!({
                        "terminationId": t.id,
                        "enrollmentId": t.enrollment_id,
                        "refundAmount": t.refund_amount,
                        "razorpayRefundId": refund_id,
                        "reason": t.refund_failure_reason,
                    }),
                )
                .await?
            };
            applied.outbox.push(id);
            current = t;
            applied.moved = true;
        }
    }
    applied.termination = Some(current);
    Ok(applied)
}

/// The enrollment ends, its remaining sessions are cancelled and the parent is told.
pub async fn accept_effects(
    tx: &impl GenericClient,
    t: &Termination,
    applied: &mut Applied,
) -> Result<(), tokio_postgres::Error> {
    store::terminate_enrollment(tx, t.enrollment_id).await?;
    let cancelled = store::cancel_remaining_sessions(tx, t.enrollment_id).await?;
    let contact = store::enrollment_contact(tx, t.enrollment_id).await?;
    let id = enqueue_notification(
        tx,
        "refund_initiated",
        CATEGORY_TRANSACTIONAL,
        json!({ "parentId": contact.parent_id }),
        json!({
            "childName": contact.child_name,
            "refundAmount": t.refund_amount,
            "originalAmount": t.original_amount,
            "sessionsCancelled": cancelled,
            "expectedDays": 7,
            "enrollmentId": t.enrollment_id,
            "terminationId": t.id,
            "razorpayRefundId": t.razorpay_refund_id,
        }),
    )
    .await?;
    applied.outbox.push(id);
    tracing::info!(termination_id = %t.id, enrollment_id = %t.enrollment_id, cancelled, "enrollment terminated");
    Ok(())
}

pub fn termination_json(t: &Termination) -> Value {
    serde_json::to_value(t).unwrap_or(Value::Null)
}

/// Quotes, records `pending`, asks Razorpay under the attempt's key and records the outcome: the
/// refund of `POST /admin/refunds`, answered as (status, body).
pub async fn initiate(
    ctx: &AppContext,
    input: RefundRequest,
    actor: &str,
) -> Result<(u16, Value), ApiError> {
    let coach_percent = ctx.settings.coach_cost_percent;
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
pub enum Settled {
    /// Razorpay holds the refund and it is recorded (processing or completed).
    Accepted(Box<Termination>, String),
    /// No definite answer: the termination stays `pending` for refund-sync-cron.
    Unknown,
}

/// Sends the termination's current attempt to Razorpay and records the outcome. A refusal
/// fails the termination (502) only after Razorpay's list of the payment's refunds shows none
/// made by this attempt: a refusal can follow a request that did its work but whose answer was
/// lost, and a termination failed while Razorpay holds its refund invites a second refund.
pub async fn attempt_refund(
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
pub async fn request_refund(
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
pub async fn record_accepted(
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

/// Applies a Razorpay refund event (`refund.created|processed|failed`) inside the webhook's
/// transaction: finds the termination (by our notes, the refund id, or a refund made by hand
/// for the one termination waiting on its payment) and moves it forward only.
pub async fn apply_refund_event(
    tx: &impl GenericClient,
    event: &WebhookEvent,
) -> Result<EventEffect, ApiError> {
    let Some(refund) = event.payload.refund.as_ref().map(|w| &w.entity) else {
        return Ok((
            "ignored",
            Some("no refund entity in payload".into()),
            Vec::new(),
        ));
    };
    // The notes find it even when the event beats our own write of the refund id.
    let by_note = note_str(&refund.notes, "terminationId").and_then(|s| Uuid::parse_str(s).ok());
    let mut termination = match by_note {
        Some(id) => store::lock_termination(tx, id).await?,
        None => None,
    };
    if termination.is_none() {
        termination = store::lock_termination_by_refund_id(tx, &refund.id).await?;
    }
    if termination.is_none() && by_note.is_none() {
        // A refund made by hand in Razorpay's dashboard carries none of our notes: it belongs to
        // the termination of its payment that waits for a refund, when there is exactly one.
        if let Some(payment_id) = present(&refund.payment_id) {
            let mut waiting = store::lock_waiting_for_payment(tx, payment_id).await?;
            if waiting.len() == 1 {
                termination = waiting.pop();
                tracing::info!(refund_id = %refund.id, "refund made outside this system linked by its payment");
            } else if waiting.len() > 1 {
                tracing::warn!(refund_id = %refund.id, waiting = waiting.len(), "refund of a payment with several waiting terminations; not linked");
            }
        }
    }
    if let Some(t) = &termination {
        let attempt = attempt::attempt_in_notes(&refund.notes, t.id);
        let known = t.razorpay_refund_id.as_deref() == Some(refund.id.as_str());
        if matches!(attempt, Some(n) if n != t.refund_attempt) && !known {
            // An event of an attempt that ended before a retry: the current attempt decides.
            tracing::warn!(refund_id = %refund.id, termination_id = %t.id, "refund event of an earlier attempt; ignored");
            return Ok((
                "ignored",
                Some("refund of an earlier attempt".into()),
                Vec::new(),
            ));
        }
    }
    let Some(t) = termination else {
        tracing::warn!(refund_id = %refund.id, "refund event for an unknown refund; kept");
        return Ok((
            "unknown_refund",
            Some("no termination matches this refund".into()),
            Vec::new(),
        ));
    };
    // Read the state from the entity, not the event name (refund.created can say processed).
    let status = match (present(&refund.status), event.event.as_str()) {
        (Some(s), _) => s.to_string(),
        (None, "refund.processed") => "processed".into(),
        (None, "refund.failed") => "failed".into(),
        (None, _) => "pending".into(),
    };
    let applied = apply_gateway_refund(
        tx,
        &t,
        &refund.id,
        &status,
        present(&refund.error_description),
    )
    .await?;
    Ok((
        if applied.moved {
            "applied"
        } else {
            "no_change"
        },
        None,
        applied.outbox,
    ))
}

/// `POST /admin/refunds/{terminationId}/retry`: a failed termination's ended attempt goes to the
/// history and the next attempt is asked of Razorpay under its own key; answered as (status, body).
pub async fn retry(ctx: &AppContext, id: Uuid, actor: &str) -> Result<(u16, Value), ApiError> {
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
        store::insert_attempt_history(&tx, &current, actor).await?;
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
        Settled::Accepted(t, refund_id) => Ok((
            201,
            json!({
                "termination": termination_json(&t),
                "razorpayRefundId": refund_id,
                "previousAttempts": history(id).await?,
            }),
        )),
        Settled::Unknown => Ok((
            202,
            json!({
                "termination": termination_json(&termination),
                "razorpayRefundId": null,
                "previousAttempts": history(id).await?,
                "message": "the retry is recorded; Razorpay's answer is not known yet and will be checked again",
            }),
        )),
    }
}
