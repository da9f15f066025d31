//! `refund-sync-cron`: settles refunds whose answer or webhook never came. For each termination
//! still pending or processing after a while, ask Razorpay for the payment's refunds, adopt the
//! one carrying our termination id, or — when none exists and we are still pending — create it
//! again with the same idempotency key. Never a second refund.
use super::service::{record_accepted, request_refund};
use super::store::{self, RefundStatus, Termination};
use crate::clients::razorpay::{GatewayError, Refund};
use crate::runtime::context::AppContext;
use serde::Serialize;

pub const FUNCTION: &str = "refund-sync-cron";

#[derive(Debug, Default, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct SyncReport {
    pub examined: usize,
    pub adopted: usize,
    pub recreated: usize,
    pub failed: usize,
    pub unchanged: usize,
    pub errors: usize,
}

pub async fn run_once(ctx: &AppContext) -> anyhow::Result<SyncReport> {
    let min_age = ctx.settings.refund_sync_min_age_seconds;
    let gateway = ctx.razorpay().map_err(|e| anyhow::anyhow!(e.to_string()))?;
    let due = {
        let client = ctx.pool.get().await?;
        store::due_for_sync(&**client, min_age, 50).await?
    };
    let mut report = SyncReport {
        examined: due.len(),
        ..SyncReport::default()
    };
    for t in due {
        match sync_one(ctx, gateway, &t).await {
            Ok(Outcome::Adopted) => report.adopted += 1,
            Ok(Outcome::Recreated) => report.recreated += 1,
            Ok(Outcome::Failed) => report.failed += 1,
            Ok(Outcome::Unchanged) => report.unchanged += 1,
            Err(e) => {
                report.errors += 1;
                tracing::warn!(termination_id = %t.id, error = %e, "refund sync failed for one termination");
            }
        }
    }
    tracing::info!(?report, "refund sync done");
    Ok(report)
}

enum Outcome {
    Adopted,
    Recreated,
    Failed,
    Unchanged,
}

fn ours<'a>(t: &Termination, refunds: &'a [Refund]) -> Option<&'a Refund> {
    super::attempt::current(
        t.id,
        t.refund_attempt,
        t.razorpay_refund_id.as_deref(),
        refunds,
    )
}

async fn sync_one(
    ctx: &AppContext,
    gateway: &crate::clients::razorpay::RazorpayClient,
    t: &Termination,
) -> anyhow::Result<Outcome> {
    let refunds = gateway.list_refunds(&t.razorpay_payment_id).await?;
    if let Some(refund) = ours(t, &refunds) {
        let before = t.refund_status;
        let after = record_accepted(ctx, t, &refund.id, &refund.status)
            .await
            .map_err(|e| anyhow::anyhow!(e.to_string()))?;
        return Ok(match after.refund_status {
            s if s == before => Outcome::Unchanged,
            RefundStatus::Failed => Outcome::Failed,
            _ => Outcome::Adopted,
        });
    }
    if t.refund_status != RefundStatus::Pending {
        tracing::warn!(termination_id = %t.id, "processing refund not listed by Razorpay; will look again");
        return Ok(Outcome::Unchanged);
    }
    let created = request_refund(gateway, t).await;
    match created {
        Ok(refund) => {
            record_accepted(ctx, t, &refund.id, &refund.status)
                .await
                .map_err(|e| anyhow::anyhow!(e.to_string()))?;
            Ok(Outcome::Recreated)
        }
        Err(GatewayError::Refused { description, .. }) => {
            let client = ctx.pool.get().await?;
            store::advance(
                &**client,
                t.id,
                RefundStatus::Failed,
                None,
                Some(&description),
            )
            .await?;
            Ok(Outcome::Failed)
        }
        Err(e @ GatewayError::Unknown(_)) => Err(e.into()),
    }
}
