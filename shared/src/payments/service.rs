//! The payments service: what Razorpay's payment events do to the `payments` table, failed
//! payments and retry links (the capture and failure policy), and the retry link itself for
//! the page and the notifications that carry it.
use super::capture_time::capture_time;
use super::{failure, retry_link, store};
use crate::clients::razorpay::{note_str, present, PaymentEntity, WebhookEvent};
use crate::runtime::context::AppContext;
use crate::runtime::http::ApiError;
use crate::runtime::inbound::EventEffect;
use crate::runtime::outbox::{enqueue_notification, CATEGORY_TRANSACTIONAL};
use secrecy::ExposeSecret;
use serde_json::{json, Map, Value};
use tokio_postgres::{GenericClient, Transaction};
use uuid::Uuid;

/// The link a parent gets for a failed payment (the dispatcher derives it at send time).
pub fn retry_link_url(site_url: &str, secret: &[u8], failed_payment_id: Uuid) -> String {
    retry_link::link_url(site_url, secret, failed_payment_id)
}

/// The retry link a token opens, found by the token's hash.
pub async fn find_retry_link(
    db: &impl GenericClient,
    token: &str,
) -> Result<Option<store::RetryLink>, tokio_postgres::Error> {
    store::retry_link(db, &retry_link::hash_token(token)).await
}

/// Stores the retry link of an order's failure (its hash only, valid `VALID_HOURS`).
pub async fn issue_token(
    db: &impl tokio_postgres::GenericClient,
    secret: &[u8],
    order_id: &str,
    failed_payment_id: Uuid,
    parent_email: Option<&str>,
) -> Result<(), tokio_postgres::Error> {
    let hash = retry_link::hash_token(&retry_link::link_token(secret, failed_payment_id));
    store::insert_token(
        db,
        order_id,
        &hash,
        failed_payment_id,
        retry_link::VALID_HOURS as i32,
        parent_email,
    )
    .await?;
    Ok(())
}

/// The order's notes, fetched from Razorpay (the one outbound call on the webhook's path, made
/// before its transaction) only when the failed payment lacks the parent's contact or the
/// child's name; empty otherwise or when the fetch fails.
pub async fn order_notes_if_needed(ctx: &AppContext, p: &PaymentEntity) -> Map<String, Value> {
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

/// Records a failed payment (`payment.failed`) inside the webhook's transaction and, when the
/// order is not paid, there is a contact and no live link yet, issues one retry link and queues
/// the parent's notice. Failures of one order are decided one at a time.
pub async fn record_failure(
    ctx: &AppContext,
    tx: &Transaction<'_>,
    event: &WebhookEvent,
    order_notes: &Map<String, Value>,
) -> Result<EventEffect, ApiError> {
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
    if store::has_live_token(db, order_id).await? {
        store::count_retry(db, failed_id).await?;
        return Ok(("recorded_link_already_sent", None, Vec::new()));
    }
    let secret = ctx
        .settings
        .retry_link_secret
        .as_ref()
        .ok_or_else(|| ApiError::missing_config(&["RETRY_LINK_SECRET"]))?;
    issue_token(
        db,
        secret.expose_secret().as_bytes(),
        order_id,
        failed_id,
        email.as_deref(),
    )
    .await?;
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
            "expiresInHours": retry_link::VALID_HOURS,
            "orderId": order_id,
        }),
    )
    .await?;
    store::mark_notified(db, failed_id).await?;
    Ok(("recorded_and_notified", None, vec![id]))
}

/// Records a capture (`payment.captured`, `order.paid`) inside the webhook's transaction: the
/// payment row forward to captured (or a row for money we had no record of), the order's
/// failures converted and its retry links spent.
pub async fn record_capture(
    tx: &Transaction<'_>,
    event: &WebhookEvent,
) -> Result<EventEffect, ApiError> {
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
        store::spend_tokens(db, order_id).await?;
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
