//! Gap 1: prorated refunds. A refund is a forward-only state machine (pending → processing →
//! completed | failed) driven by the initiate handler, the sync cron and Razorpay's webhooks.
pub mod attempt;
pub mod calculator;
pub mod handler;
pub mod retry;
pub mod store;
pub mod sync;

use crate::runtime::outbox::{enqueue_notification, CATEGORY_TRANSACTIONAL};
use serde_json::json;
use store::{RefundStatus, Termination};
use tokio_postgres::GenericClient;
use uuid::Uuid;

/// Razorpay's refund status mapped onto ours. Unknown statuses are treated as in flight.
pub fn status_from_gateway(status: &str) -> RefundStatus {
    match status {
        "processed" => RefundStatus::Completed,
        "failed" => RefundStatus::Failed,
        _ => RefundStatus::Processing,
    }
}

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

    // Razorpay accepted the refund: the enrollment ends now (step 3 of DESIGN §4).
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
pub(crate) async fn accept_effects(
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

/// `refund-initiate`: `POST /admin/refunds`.
pub static INITIATE: crate::runtime::function::Function = crate::runtime::function::Function {
    name: handler::FUNCTION,
    trigger: crate::runtime::function::Trigger::Http {
        routes: &[crate::runtime::function::Route {
            method: "POST",
            path: "/admin/refunds",
        }],
        handler: |ctx, req| Box::pin(handler::handle(ctx, req)),
    },
    needs: &[
        &crate::runtime::needs::DATABASE,
        &crate::runtime::needs::JWT,
        &crate::runtime::needs::RAZORPAY,
        &crate::runtime::needs::NOTIFICATIONS_QUEUE,
        &crate::runtime::needs::REFUND_SETTINGS,
    ],
};

/// `refund-retry`: `POST /admin/refunds/{terminationId}/retry`.
pub static RETRY: crate::runtime::function::Function = crate::runtime::function::Function {
    name: retry::FUNCTION,
    trigger: crate::runtime::function::Trigger::Http {
        routes: &[crate::runtime::function::Route {
            method: "POST",
            path: "/admin/refunds/{terminationId}/retry",
        }],
        handler: |ctx, req| Box::pin(retry::handle(ctx, req)),
    },
    needs: &[
        &crate::runtime::needs::DATABASE,
        &crate::runtime::needs::JWT,
        &crate::runtime::needs::RAZORPAY,
        &crate::runtime::needs::NOTIFICATIONS_QUEUE,
    ],
};

/// `refund-sync-cron`: every 15 minutes, settles refunds whose answer never came.
pub static SYNC: crate::runtime::function::Function = crate::runtime::function::Function {
    name: sync::FUNCTION,
    trigger: crate::runtime::function::Trigger::Schedule {
        expression: "rate(15 minutes)",
        timezone: None,
        input: r#"{"source":"refund-sync-cron"}"#,
        handler: |ctx, _event| {
            Box::pin(async move { crate::runtime::function::to_json(sync::run_once(ctx).await) })
        },
    },
    needs: &[
        &crate::runtime::needs::DATABASE,
        &crate::runtime::needs::RAZORPAY,
        &crate::runtime::needs::NOTIFICATIONS_QUEUE,
        &crate::runtime::needs::REFUND_SETTINGS,
    ],
};
