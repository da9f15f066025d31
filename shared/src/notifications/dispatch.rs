//! `notification-dispatch`: the SQS consumer. For each message it loads the recipient, applies
//! the preference rules, and sends on each allowed channel. Every decision is a row in
//! `communication_logs`, unique per (message, channel): a redelivered message finds its sent
//! channels done and sends only what failed. Failed messages alone go back to SQS.
use super::rules::{decide, Category, Channel, Decision, Preferences, Reach};
use super::store;
use super::templates::{render, Rendered};
use crate::clients::channels::Channels;
use crate::runtime::context::AppContext;
use aws_lambda_events::sqs::{BatchItemFailure, SqsBatchResponse, SqsEvent};
use serde::Deserialize;
use serde_json::Value;
use tokio_postgres::GenericClient;
use uuid::Uuid;

pub const FUNCTION: &str = "notification-dispatch";

#[derive(Debug, Deserialize)]
pub struct Message {
    pub id: Uuid,
    pub template: String,
    pub category: String,
    #[serde(default)]
    pub recipient: Value,
    #[serde(default)]
    pub data: Value,
}

struct Recipient {
    parent_id: Option<Uuid>,
    coach_id: Option<Uuid>,
    email: Option<String>,
    phone: Option<String>,
    prefs: Preferences,
    email_only: bool,
}

fn nonempty(v: &Value) -> Option<String> {
    v.as_str()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

async fn resolve(
    ctx: &AppContext,
    db: &impl GenericClient,
    r: &Value,
) -> Result<Recipient, tokio_postgres::Error> {
    let mut out = Recipient {
        parent_id: None,
        coach_id: None,
        email: nonempty(&r["email"]),
        phone: nonempty(&r["phone"]),
        prefs: Preferences::default(),
        email_only: false,
    };
    if let Some(id) = r["parentId"].as_str().and_then(|s| Uuid::parse_str(s).ok()) {
        if let Some(c) = store::parent_contact(db, id).await? {
            out.parent_id = Some(id);
            out.email = c.email.filter(|s| !s.is_empty()).or(out.email);
            out.phone = c.phone.filter(|s| !s.is_empty()).or(out.phone);
            out.prefs = Preferences::from_stored(c.preferences.as_ref());
        }
    } else if let Some(id) = r["coachId"].as_str().and_then(|s| Uuid::parse_str(s).ok()) {
        if let Some(c) = store::coach_contact(db, id).await? {
            out.coach_id = Some(id);
            out.email = c.email;
            out.phone = c.phone;
        }
    } else if r["admin"].as_bool() == Some(true) {
        out.email = ctx.settings.admin_alert_email.clone();
        out.phone = None;
        out.email_only = true;
    }
    Ok(out)
}

enum Claim {
    Mine,
    Done,
    InFlight,
}

fn log_key<'a>(msg: &'a Message, channel: Channel, to: &Recipient) -> store::LogKey<'a> {
    store::LogKey {
        message_id: msg.id,
        channel: channel.as_str(),
        template: &msg.template,
        category: &msg.category,
        parent_id: to.parent_id,
        coach_id: to.coach_id,
    }
}

async fn claim(
    db: &impl GenericClient,
    msg: &Message,
    channel: Channel,
    to: &Recipient,
    address: &str,
) -> Result<Claim, tokio_postgres::Error> {
    if store::claim_send(db, &log_key(msg, channel, to), address).await? {
        return Ok(Claim::Mine);
    }
    let status = store::log_status(db, msg.id, channel.as_str()).await?;
    Ok(match status.as_deref() {
        Some("sending") => Claim::InFlight,
        _ => Claim::Done,
    })
}

async fn record_skip(
    db: &impl GenericClient,
    msg: &Message,
    channel: Channel,
    to: &Recipient,
    rule: &str,
) -> Result<(), tokio_postgres::Error> {
    store::insert_skip(db, &log_key(msg, channel, to), rule).await?;
    Ok(())
}

async fn record_result(
    db: &impl GenericClient,
    msg: &Message,
    channel: Channel,
    result: &Result<String, String>,
) -> Result<(), tokio_postgres::Error> {
    let (status, provider_id, error) = match result {
        Ok(id) => ("sent", Some(id.as_str()), None),
        Err(e) => ("failed", None, Some(e.as_str())),
    };
    store::update_result(db, msg.id, channel.as_str(), status, provider_id, error).await?;
    Ok(())
}

async fn send(
    channels: &Channels,
    channel: Channel,
    address: &str,
    r: &Rendered,
) -> Result<String, String> {
    match channel {
        Channel::Email => match &channels.email {
            Some(e) => e.send(address, r).await,
            None => Err("email is not configured".into()),
        },
        Channel::Whatsapp => match &channels.whatsapp {
            Some(w) => w.send(address, r).await,
            None => Err("whatsapp is not configured".into()),
        },
        Channel::Sms => Err("no SMS provider".into()),
    }
}

/// A `payment_failed` message carries the failed payment's id, never a token: the link is
/// derived here, at send time (the same link on every redelivery).
fn with_retry_link<'a>(
    ctx: &AppContext,
    data: &'a Value,
) -> Result<std::borrow::Cow<'a, Value>, String> {
    let Some(failed_id) = data
        .get("failedPaymentId")
        .and_then(Value::as_str)
        .and_then(|s| uuid::Uuid::parse_str(s).ok())
    else {
        return Ok(std::borrow::Cow::Borrowed(data));
    };
    let (Some(site), Some(secret)) = (
        ctx.settings.site_url.as_deref(),
        ctx.settings.retry_link_secret.as_ref(),
    ) else {
        return Err("SITE_URL and RETRY_LINK_SECRET are needed for a retry link".into());
    };
    let mut data = data.clone();
    if let Some(obj) = data.as_object_mut() {
        obj.insert(
            "retryLink".into(),
            Value::String(crate::payments::service::retry_link_url(
                site,
                secrecy::ExposeSecret::expose_secret(secret).as_bytes(),
                failed_id,
            )),
        );
    }
    Ok(std::borrow::Cow::Owned(data))
}

/// Handles one message. `Err` means: report it to SQS so it comes back.
pub async fn dispatch_one(ctx: &AppContext, msg: &Message) -> Result<(), String> {
    let client = ctx.pool.get().await.map_err(|e| e.to_string())?;
    let db: &tokio_postgres::Client = &client;
    let to = resolve(ctx, db, &msg.recipient)
        .await
        .map_err(|e| e.to_string())?;
    let data = with_retry_link(ctx, &msg.data)?;
    let rendered = render(&msg.template, &data);
    let category = Category::parse(&msg.category);
    let (Some(rendered), Some(category)) = (rendered, category) else {
        let rule = if category.is_none() {
            "unknown_category"
        } else {
            "unknown_template"
        };
        tracing::error!(message_id = %msg.id, template = %msg.template, rule, "message cannot be sent");
        for c in Channel::ALL {
            record_skip(db, msg, c, &to, rule)
                .await
                .map_err(|e| e.to_string())?;
        }
        return Ok(());
    };
    let channels = ctx.channels();
    let reach = Reach {
        has_email: to.email.is_some(),
        has_phone: to.phone.is_some() && !to.email_only,
        email_configured: channels.email.is_some(),
        whatsapp_configured: channels.whatsapp.is_some(),
        sms_configured: false,
    };
    let mut failures = Vec::new();
    for (channel, decision) in decide(category, &to.prefs, &reach) {
        let address = match channel {
            Channel::Email => to.email.clone(),
            _ => to.phone.clone(),
        }
        .unwrap_or_default();
        match decision {
            Decision::Skip(rule) => record_skip(db, msg, channel, &to, rule)
                .await
                .map_err(|e| e.to_string())?,
            Decision::Send => match claim(db, msg, channel, &to, &address)
                .await
                .map_err(|e| e.to_string())?
            {
                Claim::Done => {}
                Claim::InFlight => failures.push(format!("{} still in flight", channel.as_str())),
                Claim::Mine => {
                    let result = send(channels, channel, &address, &rendered).await;
                    record_result(db, msg, channel, &result)
                        .await
                        .map_err(|e| e.to_string())?;
                    match &result {
                        Ok(_) => {
                            tracing::info!(message_id = %msg.id, channel = channel.as_str(), template = %msg.template, "sent")
                        }
                        Err(e) => {
                            tracing::warn!(message_id = %msg.id, channel = channel.as_str(), error = %e, "send failed");
                            failures.push(format!("{}: {e}", channel.as_str()));
                        }
                    }
                }
            },
        }
    }
    if failures.is_empty() {
        Ok(())
    } else {
        Err(failures.join("; "))
    }
}

/// How long before the invocation's deadline the batch stops waiting: unfinished messages are
/// reported as failures (SQS brings them back) while there is still time to answer.
pub const DEADLINE_MARGIN: std::time::Duration = std::time::Duration::from_secs(3);

/// The SQS batch: only the messages that failed are reported back. Messages are sent
/// concurrently, as many at once as the pool has connections (each send holds one), and the
/// batch answers before the Lambda deadline whatever a slow provider does.
pub async fn handle_batch(ctx: &AppContext, event: SqsEvent) -> SqsBatchResponse {
    let stop = crate::runtime::function::deadline().map(|d| d - DEADLINE_MARGIN);
    handle_batch_until(ctx, event, stop).await
}

/// `handle_batch` with an explicit time to stop by (`None`: no limit).
pub async fn handle_batch_until(
    ctx: &AppContext,
    event: SqsEvent,
    stop: Option<std::time::Instant>,
) -> SqsBatchResponse {
    use futures::StreamExt;
    let concurrency = ctx.pool.status().max_size.clamp(1, 8);
    let results: Vec<(String, Result<(), String>)> = futures::stream::iter(event.records)
        .map(|record| async move {
            let id = record.message_id.clone().unwrap_or_default();
            let work = async {
                let msg = record
                    .body
                    .as_deref()
                    .ok_or_else(|| "empty body".to_string())
                    .and_then(|b| {
                        serde_json::from_str::<Message>(b)
                            .map_err(|e| format!("unreadable message: {e}"))
                    })?;
                dispatch_one(ctx, &msg).await
            };
            let result = match stop {
                Some(at) => tokio::time::timeout_at(at.into(), work)
                    .await
                    .unwrap_or_else(
                        |_| Err("not finished before the invocation's deadline".into()),
                    ),
                None => work.await,
            };
            (id, result)
        })
        .buffer_unordered(concurrency)
        .collect()
        .await;
    let mut response = SqsBatchResponse::default();
    for (id, result) in results {
        if let Err(e) = result {
            tracing::warn!(sqs_message_id = %id, error = %e, "message will be retried");
            let mut failure = BatchItemFailure::default();
            failure.item_identifier = id;
            response.batch_item_failures.push(failure);
        }
    }
    response
}
