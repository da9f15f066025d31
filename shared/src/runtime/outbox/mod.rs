//! The transactional outbox: a function writes its messages in the same transaction as its state
//! change, then publishes them to SQS after commit. Whatever is not published then (SQS down,
//! Lambda killed) is left for `outbox-relay`. Each message carries its outbox id, on which
//! consumers dedupe.
use deadpool_postgres::Pool;
use serde_json::{json, Value};
use tokio_postgres::GenericClient;
use uuid::Uuid;

pub mod store;
pub use store::{delete_published_before, lock_due, Pending};

pub const TOPIC_NOTIFICATIONS: &str = "notifications";
pub const TOPIC_CALENDAR: &str = "calendar";

/// Message categories the notification dispatcher understands.
pub const CATEGORY_TRANSACTIONAL: &str = "transactional";

/// Inserts a notification for the dispatcher: `{id, template, category, recipient, data}`.
pub async fn enqueue_notification(
    db: &impl GenericClient,
    template: &str,
    category: &str,
    recipient: Value,
    data: Value,
) -> Result<Uuid, tokio_postgres::Error> {
    enqueue_notification_as(db, Uuid::new_v4(), template, category, recipient, data).await
}

/// Inserts a message for another topic (`calendar`): the payload gets the outbox id as `id`.
pub async fn enqueue(
    db: &impl GenericClient,
    topic: &str,
    mut payload: Value,
) -> Result<Uuid, tokio_postgres::Error> {
    let id = Uuid::new_v4();
    if let Some(o) = payload.as_object_mut() {
        o.insert("id".into(), json!(id));
    }
    store::insert(db, id, topic, &payload).await?;
    Ok(id)
}

/// `enqueue_notification` with an id chosen by the caller (who records it elsewhere in the same
/// transaction).
pub async fn enqueue_notification_as(
    db: &impl GenericClient,
    id: Uuid,
    template: &str,
    category: &str,
    recipient: Value,
    data: Value,
) -> Result<Uuid, tokio_postgres::Error> {
    let payload = json!({
        "id": id,
        "template": template,
        "category": category,
        "recipient": recipient,
        "data": data,
    });
    store::insert(db, id, TOPIC_NOTIFICATIONS, &payload).await?;
    Ok(id)
}

/// How long a request waits, after its commit, for its outbox rows to reach SQS.
pub const POST_COMMIT_BUDGET: std::time::Duration = std::time::Duration::from_millis(1500);

/// Where each topic goes on SQS.
#[derive(Clone)]
pub struct Publisher {
    sqs: Option<crate::clients::aws::sqs::Sqs>,
    notifications_url: Option<String>,
    calendar_url: Option<String>,
}

impl Publisher {
    pub fn new(
        sqs: Option<crate::clients::aws::sqs::Sqs>,
        notifications_url: Option<String>,
        calendar_url: Option<String>,
    ) -> Self {
        Publisher {
            sqs,
            notifications_url,
            calendar_url,
        }
    }

    pub fn set_client(&mut self, sqs: crate::clients::aws::sqs::Sqs) {
        self.sqs = Some(sqs);
    }

    fn queue_for(&self, topic: &str) -> Option<&str> {
        match topic {
            TOPIC_NOTIFICATIONS => self.notifications_url.as_deref(),
            TOPIC_CALENDAR => self.calendar_url.as_deref(),
            _ => None,
        }
    }

    pub async fn send(&self, topic: &str, payload: &Value) -> Result<(), String> {
        let url = self
            .queue_for(topic)
            .ok_or_else(|| format!("no queue configured for topic {topic}"))?;
        let sqs = self
            .sqs
            .as_ref()
            .ok_or_else(|| "this function has no SQS client".to_string())?;
        sqs.send_message(url, &payload.to_string())
            .await
            .map(|_| ())
            .map_err(|e| e.to_string().chars().take(300).collect())
    }

    /// Publishes rows just committed, after the commit, within `POST_COMMIT_BUDGET`: the money
    /// has moved and the answer must not wait on a hung SQS (Razorpay waits 5 s for a webhook).
    /// Each row is locked while it is sent, so this and the relay never send the same row at
    /// once; failures are recorded on the row and retried later with backoff. What is not sent in
    /// time stays for `outbox-relay`; a message sent but not marked is sent again by it, and
    /// consumers dedupe on the id. Returns how many were published.
    pub async fn publish(&self, pool: &Pool, ids: &[Uuid]) -> usize {
        match tokio::time::timeout(POST_COMMIT_BUDGET, self.publish_all(pool, ids)).await {
            Ok(n) => n,
            Err(_) => {
                tracing::warn!(
                    count = ids.len(),
                    "outbox publish ran out of time; left to the relay"
                );
                0
            }
        }
    }

    async fn publish_all(&self, pool: &Pool, ids: &[Uuid]) -> usize {
        let mut published = 0;
        for id in ids {
            match self.publish_one(pool, *id).await {
                Ok(true) => published += 1,
                Ok(false) => {}
                Err(e) => {
                    tracing::warn!(outbox_id = %id, error = %e, "outbox publish deferred to the relay")
                }
            }
        }
        published
    }

    async fn publish_one(&self, pool: &Pool, id: Uuid) -> anyhow::Result<bool> {
        let mut client = pool.get().await?;
        let tx = (**client).transaction().await?;
        let Some((topic, payload)) = store::lock_unpublished(&tx, id).await? else {
            return Ok(false);
        };
        if self
            .queue_for(&topic)
            .is_some_and(|u| u.starts_with("local:"))
        {
            // local-api without SQS: the message stays in the outbox table, visible there.
            return Ok(false);
        }
        let result = self.send(&topic, &payload).await;
        record_attempt(&tx, id, &result).await?;
        tx.commit().await?;
        match result {
            Ok(()) => {
                tracing::info!(outbox_id = %id, topic, "outbox message published");
                Ok(true)
            }
            Err(e) => anyhow::bail!(e),
        }
    }
}

/// Marks a row published, or records the failure and backs it off (2^attempts s, at most 5 min).
pub async fn record_attempt(
    db: &impl GenericClient,
    id: Uuid,
    result: &Result<(), String>,
) -> Result<(), tokio_postgres::Error> {
    match result {
        Ok(()) => store::mark_published(db, id).await?,
        Err(e) => store::record_failure(db, id, e).await?,
    };
    Ok(())
}

/// How long a published row is kept (for looking into a delivery) before the relay deletes it.
pub const KEEP_PUBLISHED_DAYS: i32 = 7;
