//! `notification-dispatch`: the SQS consumer. For each message it loads the recipient, applies
//! the preference rules, and sends on each allowed channel. Every decision is a row in
//! `communication_logs`, unique per (message, channel): a redelivered message finds its sent
//! channels done and sends only what failed. Failed messages alone go back to SQS.
use super::channels::Channels;
use super::rules::{decide, Category, Channel, Decision, Preferences, Reach};
use super::templates::{render, Rendered};
use crate::context::AppContext;
use aws_lambda_events::sqs::{BatchItemFailure, SqsBatchResponse, SqsEvent};
use deadpool_postgres::GenericClient;
use serde::Deserialize;
use serde_json::Value;
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
        if let Some(row) = db
            .query_opt(
                "SELECT email, phone, notification_preferences FROM parents WHERE id = $1",
                &[&id],
            )
            .await?
        {
            out.parent_id = Some(id);
            out.email = row
                .get::<_, Option<String>>(0)
                .filter(|s| !s.is_empty())
                .or(out.email);
            out.phone = row
                .get::<_, Option<String>>(1)
                .filter(|s| !s.is_empty())
                .or(out.phone);
            out.prefs = Preferences::from_stored(row.get::<_, Option<Value>>(2).as_ref());
        }
    } else if let Some(id) = r["coachId"].as_str().and_then(|s| Uuid::parse_str(s).ok()) {
        if let Some(row) = db
            .query_opt("SELECT email, phone FROM coaches WHERE id = $1", &[&id])
            .await?
        {
            out.coach_id = Some(id);
            out.email = row.get(0);
            out.phone = row.get(1);
        }
    } else if r["admin"].as_bool() == Some(true) {
        out.email = ctx.config.get("ADMIN_ALERT_EMAIL").map(str::to_string);
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

async fn claim(
    db: &impl GenericClient,
    msg: &Message,
    channel: Channel,
    to: &Recipient,
    address: &str,
) -> Result<Claim, tokio_postgres::Error> {
    let row = db
        .query_opt(
            "INSERT INTO communication_logs (message_id, channel, status, template, category, direction, parent_id, coach_id, recipient)
             VALUES ($1, $2, 'sending', $3, $4, 'outbound', $5, $6, $7)
             ON CONFLICT (message_id, channel) WHERE message_id IS NOT NULL DO UPDATE
               SET status = 'sending', error = NULL, updated_at = NOW()
               WHERE communication_logs.status = 'failed'
                  OR (communication_logs.status = 'sending' AND communication_logs.updated_at < NOW() - INTERVAL '5 minutes')
             RETURNING id",
            &[&msg.id, &channel.as_str(), &msg.template, &msg.category, &to.parent_id, &to.coach_id, &address],
        )
        .await?;
    if row.is_some() {
        return Ok(Claim::Mine);
    }
    let status: Option<String> = db
        .query_opt(
            "SELECT status FROM communication_logs WHERE message_id = $1 AND channel = $2",
            &[&msg.id, &channel.as_str()],
        )
        .await?
        .map(|r| r.get(0));
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
    db.execute(
        "INSERT INTO communication_logs (message_id, channel, status, rule, template, category, direction, parent_id, coach_id)
         VALUES ($1, $2, 'skipped', $3, $4, $5, 'outbound', $6, $7)
         ON CONFLICT (message_id, channel) WHERE message_id IS NOT NULL DO NOTHING",
        &[&msg.id, &channel.as_str(), &rule, &msg.template, &msg.category, &to.parent_id, &to.coach_id],
    )
    .await?;
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
    db.execute(
        "UPDATE communication_logs SET status = $3, provider_message_id = $4, error = $5, updated_at = NOW()
         WHERE message_id = $1 AND channel = $2",
        &[&msg.id, &channel.as_str(), &status, &provider_id, &error],
    )
    .await?;
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

/// Handles one message. `Err` means: report it to SQS so it comes back.
pub async fn dispatch_one(ctx: &AppContext, msg: &Message) -> Result<(), String> {
    let client = ctx.pool.get().await.map_err(|e| e.to_string())?;
    let db = &client;
    let to = resolve(ctx, db, &msg.recipient)
        .await
        .map_err(|e| e.to_string())?;
    let rendered = render(&msg.template, &msg.data);
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

/// The SQS batch: only the messages that failed are reported back.
pub async fn handle_batch(ctx: &AppContext, event: SqsEvent) -> SqsBatchResponse {
    let mut response = SqsBatchResponse::default();
    for record in event.records {
        let id = record.message_id.clone().unwrap_or_default();
        let parsed = record
            .body
            .as_deref()
            .ok_or_else(|| "empty body".to_string())
            .and_then(|b| {
                serde_json::from_str::<Message>(b).map_err(|e| format!("unreadable message: {e}"))
            });
        let result = match parsed {
            Ok(msg) => dispatch_one(ctx, &msg).await,
            Err(e) => Err(e),
        };
        if let Err(e) = result {
            tracing::warn!(sqs_message_id = %id, error = %e, "message will be retried");
            let mut failure = BatchItemFailure::default();
            failure.item_identifier = id;
            response.batch_item_failures.push(failure);
        }
    }
    response
}
