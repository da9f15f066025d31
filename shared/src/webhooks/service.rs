//! The Razorpay webhook's one job past verification: record each event once and hand it to
//! the service it belongs to — refunds for `refund.*`, payments for `payment.*` and
//! `order.paid` — in the same transaction as its effect.
use crate::clients::razorpay::WebhookEvent;
use crate::payments::service as payments;
use crate::refunds::service as refunds;
use crate::runtime::context::AppContext;
use crate::runtime::http::ApiError;
use crate::runtime::inbound::store as events;
use serde_json::Map;

pub const PROVIDER: &str = "razorpay";

/// Records the event once and hands it to the service it belongs to, in one transaction, then
/// publishes what that service queued. A repeat is `duplicate` and changes nothing.
pub async fn process(
    ctx: &AppContext,
    event_id: &str,
    event: &WebhookEvent,
    raw: &str,
) -> Result<&'static str, ApiError> {
    // The one outbound call allowed on this path, made before the transaction and only when the
    // payment itself lacks the parent's contact or the child's name.
    let order_notes = if event.event == "payment.failed" {
        let client = ctx.pool.get().await?;
        if events::event_recorded(&**client, PROVIDER, event_id).await? {
            return Ok("duplicate");
        }
        drop(client);
        match &event.payload.payment {
            Some(p) => payments::order_notes_if_needed(ctx, &p.entity).await,
            None => Map::new(),
        }
    } else {
        Map::new()
    };

    let mut client = ctx.pool.get().await?;
    let tx = (**client).transaction().await?;
    let inserted = events::insert_event(&tx, PROVIDER, event_id, &event.event, raw).await?;
    let Some(row_id) = inserted else {
        tx.commit().await?;
        return Ok("duplicate");
    };
    let (outcome, note, outbox) = match event.event.as_str() {
        "refund.created" | "refund.processed" | "refund.failed" => {
            refunds::apply_refund_event(&tx, event).await?
        }
        "payment.failed" => payments::record_failure(ctx, &tx, event, &order_notes).await?,
        "payment.captured" | "order.paid" => payments::record_capture(&tx, event).await?,
        _ => ("ignored", None, Vec::new()),
    };
    events::mark_event_processed(&tx, row_id, note.as_deref()).await?;
    tx.commit().await?;
    ctx.publisher().publish(&ctx.pool, &outbox).await;
    Ok(outcome)
}
