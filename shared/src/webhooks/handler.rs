//! `POST /webhooks/razorpay`. Razorpay delivers at least once, in any order, and disables the
//! endpoint after a day of failures: every answer is fast, and a repeat is a harmless 200.
use super::{signature, store};
use crate::clients::razorpay::{note_str, notes_map};
use crate::payments::{failure, retry, store as payment_store};
use crate::refunds::{apply_gateway_refund, store as refund_store};
use crate::runtime::context::AppContext;
use crate::runtime::http::{header, json_response, respond, ApiError};
use crate::runtime::outbox::{enqueue_notification, CATEGORY_TRANSACTIONAL};
use lambda_http::{Body, Request, Response};
use serde::Deserialize;
use serde_json::{json, Map, Value};
use sha2::{Digest, Sha256};
use tokio_postgres::{GenericClient, Transaction};
use uuid::Uuid;

pub const FUNCTION: &str = "payment-webhook";
pub const MAX_WEBHOOK_BODY: usize = 256 * 1024;
const PROVIDER: &str = "razorpay";

#[derive(Debug, Deserialize)]
struct Event {
    #[serde(default)]
    event: String,
    /// When Razorpay created the event (for `payment.captured`, the capture), epoch seconds.
    #[serde(default)]
    created_at: Option<i64>,
    #[serde(default)]
    payload: Payload,
}

#[derive(Debug, Default, Deserialize)]
struct Payload {
    payment: Option<Wrapped<PaymentEntity>>,
    refund: Option<Wrapped<RefundEntity>>,
    order: Option<Wrapped<OrderEntity>>,
}

#[derive(Debug, Deserialize)]
struct Wrapped<T> {
    entity: T,
}

#[derive(Debug, Deserialize)]
struct PaymentEntity {
    id: String,
    #[serde(default)]
    order_id: Option<String>,
    #[serde(default)]
    amount: Option<i64>,
    #[serde(default)]
    currency: Option<String>,
    #[serde(default)]
    email: Option<String>,
    #[serde(default)]
    contact: Option<String>,
    #[serde(default, deserialize_with = "notes_map")]
    notes: Map<String, Value>,
    #[serde(default)]
    error_code: Option<String>,
    #[serde(default)]
    error_description: Option<String>,
    #[serde(default)]
    error_reason: Option<String>,
    #[serde(default)]
    created_at: Option<i64>,
}

#[derive(Debug, Deserialize)]
struct RefundEntity {
    id: String,
    #[serde(default)]
    payment_id: Option<String>,
    #[serde(default)]
    status: Option<String>,
    #[serde(default, deserialize_with = "notes_map")]
    notes: Map<String, Value>,
    #[serde(default)]
    error_description: Option<String>,
}

#[derive(Debug, Deserialize)]
struct OrderEntity {
    id: String,
}

/// Razorpay sends absent values as `null` or `""`; both mean nothing.
fn present(v: &Option<String>) -> Option<&str> {
    v.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

pub async fn handle(ctx: &AppContext, req: Request) -> Response<Body> {
    respond(FUNCTION, req, |req, _rid| async move {
        let body = signature::verified_body(
            &ctx.config,
            &req,
            "RAZORPAY_WEBHOOK_SECRET",
            "X-Razorpay-Signature",
            MAX_WEBHOOK_BODY,
        )?;
        let event: Event = serde_json::from_slice(body).map_err(|_| {
            ApiError::bad_request("the webhook body is not a Razorpay event", Value::Null)
        })?;
        // Razorpay always sends the id; if a proxy dropped it, identical bytes are one event.
        let event_id = header(&req, "x-razorpay-event-id")
            .map(str::trim)
            .filter(|s| !s.is_empty() && s.len() <= 200)
            .map(str::to_string)
            .unwrap_or_else(|| format!("sha256:{}", hex::encode(Sha256::digest(body))));
        let raw = String::from_utf8_lossy(body).into_owned();
        let outcome = process(ctx, &event_id, &event, &raw).await?;
        tracing::info!(event_id, event = %event.event, outcome, "webhook handled");
        Ok(json_response(200, &json!({ "status": outcome })))
    })
    .await
}

async fn process(
    ctx: &AppContext,
    event_id: &str,
    event: &Event,
    raw: &str,
) -> Result<&'static str, ApiError> {
    // The one outbound call allowed on this path, made before the transaction and only when the
    // payment itself lacks the parent's contact or the child's name.
    let order_notes = if event.event == "payment.failed" {
        let client = ctx.pool.get().await?;
        if store::event_recorded(&**client, PROVIDER, event_id).await? {
            return Ok("duplicate");
        }
        drop(client);
        match &event.payload.payment {
            Some(p) => order_notes_if_needed(ctx, &p.entity).await,
            None => Map::new(),
        }
    } else {
        Map::new()
    };

    let mut client = ctx.pool.get().await?;
    let tx = (**client).transaction().await?;
    let inserted = store::insert_event(&tx, PROVIDER, event_id, &event.event, raw).await?;
    let Some(row_id) = inserted else {
        tx.commit().await?;
        return Ok("duplicate");
    };
    let (outcome, note, outbox) = match event.event.as_str() {
        "refund.created" | "refund.processed" | "refund.failed" => on_refund(&tx, event).await?,
        "payment.failed" => on_payment_failed(ctx, &tx, event, &order_notes).await?,
        "payment.captured" | "order.paid" => on_payment_captured(&tx, event).await?,
        _ => ("ignored", None, Vec::new()),
    };
    store::mark_event_processed(&tx, row_id, note.as_deref()).await?;
    tx.commit().await?;
    ctx.publisher().publish(&ctx.pool, &outbox).await;
    Ok(outcome)
}

type Effect = (&'static str, Option<String>, Vec<Uuid>);

async fn on_refund(tx: &impl GenericClient, event: &Event) -> Result<Effect, ApiError> {
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
        Some(id) => refund_store::lock_termination(tx, id).await?,
        None => None,
    };
    if termination.is_none() {
        termination = refund_store::lock_termination_by_refund_id(tx, &refund.id).await?;
    }
    if termination.is_none() && by_note.is_none() {
        // A refund made by hand in Razorpay's dashboard carries none of our notes: it belongs to
        // the termination of its payment that waits for a refund, when there is exactly one.
        if let Some(payment_id) = present(&refund.payment_id) {
            let mut waiting = refund_store::lock_waiting_for_payment(tx, payment_id).await?;
            if waiting.len() == 1 {
                termination = waiting.pop();
                tracing::info!(refund_id = %refund.id, "refund made outside this system linked by its payment");
            } else if waiting.len() > 1 {
                tracing::warn!(refund_id = %refund.id, waiting = waiting.len(), "refund of a payment with several waiting terminations; not linked");
            }
        }
    }
    if let Some(t) = &termination {
        let attempt = crate::refunds::attempt::attempt_in_notes(&refund.notes, t.id);
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

async fn order_notes_if_needed(ctx: &AppContext, p: &PaymentEntity) -> Map<String, Value> {
    let has_contact = present(&p.email).is_some() || present(&p.contact).is_some();
    let has_child = note_str(&p.notes, "childName").is_some();
    if has_contact && has_child {
        return Map::new();
    }
    let (Some(order_id), Ok(gateway)) = (present(&p.order_id), ctx.razorpay()) else {
        return Map::new();
    };
    match gateway.fetch_order_quick(order_id).await {
        Ok(order) => order.notes,
        Err(e) => {
            tracing::warn!(order_id, error = %e, "order fetch failed; continuing with what the payment has");
            Map::new()
        }
    }
}

async fn on_payment_failed(
    ctx: &AppContext,
    tx: &Transaction<'_>,
    event: &Event,
    order_notes: &Map<String, Value>,
) -> Result<Effect, ApiError> {
    let Some(p) = event.payload.payment.as_ref().map(|w| &w.entity) else {
        return Ok((
            "ignored",
            Some("no payment entity in payload".into()),
            Vec::new(),
        ));
    };
    let Some(order_id) = present(&p.order_id) else {
        return Ok((
            "ignored",
            Some("payment has no order id".into()),
            Vec::new(),
        ));
    };
    let pick = |key: &str, own: Option<&str>| -> Option<String> {
        own.map(str::to_string)
            .or_else(|| note_str(&p.notes, key).map(str::to_string))
            .or_else(|| note_str(order_notes, key).map(str::to_string))
    };
    let email = pick("parentEmail", present(&p.email));
    let phone = pick("parentPhone", present(&p.contact));
    let parent_name = pick("parentName", None);
    let child_name = pick("childName", None);

    // Failures on one order are decided one at a time: at most one live link per order.
    let db = tx;
    store::lock_order(db, order_id).await?;
    let converted = store::order_paid(db, order_id).await?;
    let inserted = store::insert_failed_payment(
        db,
        &store::NewFailedPayment {
            payment_id: &p.id,
            order_id,
            error_code: present(&p.error_code),
            error_description: present(&p.error_description),
            error_reason: present(&p.error_reason),
            email: email.as_deref(),
            phone: phone.as_deref(),
            parent_name: parent_name.as_deref(),
            child_name: child_name.as_deref(),
            amount: p.amount.map(|a| a.max(0)),
            currency: present(&p.currency),
            converted,
        },
    )
    .await?;
    let Some(failed_id) = inserted else {
        return Ok((
            "duplicate_payment",
            Some("this payment's failure is already recorded".into()),
            Vec::new(),
        ));
    };
    if converted {
        return Ok(("recorded_already_paid", None, Vec::new()));
    }
    if email.is_none() && phone.is_none() {
        return Ok((
            "recorded_no_contact",
            Some("no parent contact on the payment or order".into()),
            Vec::new(),
        ));
    }
    if payment_store::has_live_token(db, order_id).await? {
        store::count_retry(db, failed_id).await?;
        return Ok(("recorded_link_already_sent", None, Vec::new()));
    }
    let secret = ctx
        .config
        .get("RETRY_LINK_SECRET")
        .ok_or_else(|| ApiError::missing_config(&["RETRY_LINK_SECRET"]))?;
    retry::issue_token(db, secret.as_bytes(), order_id, failed_id, email.as_deref()).await?;
    let parent_id = store::parent_for_order(db, order_id, email.as_deref()).await?;
    let id = enqueue_notification(
        tx,
        "payment_failed",
        CATEGORY_TRANSACTIONAL,
        json!({ "parentId": parent_id, "email": email, "phone": phone, "name": parent_name }),
        json!({
            "childName": child_name,
            "amount": p.amount,
            "currency": present(&p.currency).unwrap_or("INR"),
            "reason": failure::parent_message(present(&p.error_reason), present(&p.error_code), present(&p.error_description)),
            // Not the link: the dispatcher derives it at send time, so no token is stored in
            // the outbox or carried on the queue.
            "failedPaymentId": failed_id,
            "expiresInHours": retry::VALID_HOURS,
            "orderId": order_id,
        }),
    )
    .await?;
    store::mark_notified(db, failed_id).await?;
    Ok(("recorded_and_notified", None, vec![id]))
}

/// When the money was captured, by Razorpay's clock: the event's time, else the payment's
/// creation, else now (an event without either).
fn capture_time(event_at: Option<i64>, payment_at: Option<i64>) -> chrono::DateTime<chrono::Utc> {
    event_at
        .or(payment_at)
        .and_then(|s| chrono::DateTime::from_timestamp(s, 0))
        .unwrap_or_else(chrono::Utc::now)
}

async fn on_payment_captured(tx: &Transaction<'_>, event: &Event) -> Result<Effect, ApiError> {
    let db = tx;
    let Some(p) = event.payload.payment.as_ref().map(|w| &w.entity) else {
        return Ok((
            "ignored",
            Some("no payment entity in payload".into()),
            Vec::new(),
        ));
    };
    let order_id = present(&p.order_id)
        .map(str::to_string)
        .or_else(|| event.payload.order.as_ref().map(|o| o.entity.id.clone()));
    // Razorpay's time, not this delivery's: a webhook retried hours later must not stretch the
    // 24-hour full-refund window that starts at the capture.
    let captured_at = capture_time(event.created_at, p.created_at);
    if let Some(order_id) = &order_id {
        // The same lock as a failure of this order takes: a failure delivered at the same moment
        // either commits first (and is converted below) or sees this capture (and is recorded
        // converted, with no link and no notice).
        store::lock_order(db, order_id).await?;
    }
    let updated = store::capture_payment(db, &p.id, order_id.as_deref(), captured_at).await?;
    let known = store::payment_known(db, &p.id).await?;
    if !known {
        // A payment we had no row for (created outside this backend): keep a record of the money.
        store::insert_captured_payment(
            db,
            order_id.as_deref(),
            &p.id,
            p.amount.unwrap_or(0).max(0),
            present(&p.currency),
            captured_at,
        )
        .await?;
    }
    if let Some(order_id) = &order_id {
        store::convert_failures(db, order_id).await?;
        payment_store::spend_tokens(db, order_id).await?;
    }
    Ok((
        if updated > 0 || !known {
            "captured"
        } else {
            "no_change"
        },
        None,
        Vec::new(),
    ))
}
