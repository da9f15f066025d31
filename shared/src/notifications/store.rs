//! The dispatcher's statements: recipients' contact details and the `communication_logs` rows
//! that record every decision. One function per statement, unnamed statements with their
//! parameter types (one round trip, pooler-safe).
use serde_json::Value;
use tokio_postgres::types::Type;
use tokio_postgres::GenericClient;
use uuid::Uuid;

type R<T> = Result<T, tokio_postgres::Error>;

pub struct Contact {
    pub email: Option<String>,
    pub phone: Option<String>,
    pub preferences: Option<Value>,
}

pub async fn parent_contact(db: &impl GenericClient, parent_id: Uuid) -> R<Option<Contact>> {
    let row = db
        .query_typed_opt(
            "SELECT email, phone, notification_preferences FROM parents WHERE id = $1",
            &[(&parent_id, Type::UUID)],
        )
        .await?;
    row.map(|r| {
        Ok(Contact {
            email: r.try_get(0)?,
            phone: r.try_get(1)?,
            preferences: r.try_get(2)?,
        })
    })
    .transpose()
}

pub async fn coach_contact(db: &impl GenericClient, coach_id: Uuid) -> R<Option<Contact>> {
    let row = db
        .query_typed_opt(
            "SELECT email, phone FROM coaches WHERE id = $1",
            &[(&coach_id, Type::UUID)],
        )
        .await?;
    row.map(|r| {
        Ok(Contact {
            email: r.try_get(0)?,
            phone: r.try_get(1)?,
            preferences: None,
        })
    })
    .transpose()
}

/// Who a log row is about, and where it went.
pub struct LogKey<'a> {
    pub message_id: Uuid,
    pub channel: &'a str,
    pub template: &'a str,
    pub category: &'a str,
    pub parent_id: Option<Uuid>,
    pub coach_id: Option<Uuid>,
}

/// Claims (message, channel) for sending: a new row, or a failed / stale one taken over.
/// `true` when this caller may send.
pub async fn claim_send(db: &impl GenericClient, k: &LogKey<'_>, address: &str) -> R<bool> {
    Ok(db
        .query_typed_opt(
            "INSERT INTO communication_logs (message_id, channel, status, template, category, direction, parent_id, coach_id, recipient)
             VALUES ($1, $2, 'sending', $3, $4, 'outbound', $5, $6, $7)
             ON CONFLICT (message_id, channel) WHERE message_id IS NOT NULL DO UPDATE
               SET status = 'sending', error = NULL, updated_at = NOW()
               WHERE communication_logs.status = 'failed'
                  OR (communication_logs.status = 'sending' AND communication_logs.updated_at < NOW() - INTERVAL '5 minutes')
             RETURNING id",
            &[
                (&k.message_id, Type::UUID),
                (&k.channel, Type::TEXT),
                (&k.template, Type::TEXT),
                (&k.category, Type::TEXT),
                (&k.parent_id, Type::UUID),
                (&k.coach_id, Type::UUID),
                (&address, Type::TEXT),
            ],
        )
        .await?
        .is_some())
}

pub async fn log_status(
    db: &impl GenericClient,
    message_id: Uuid,
    channel: &str,
) -> R<Option<String>> {
    let row = db
        .query_typed_opt(
            "SELECT status FROM communication_logs WHERE message_id = $1 AND channel = $2",
            &[(&message_id, Type::UUID), (&channel, Type::TEXT)],
        )
        .await?;
    row.map(|r| r.try_get(0)).transpose()
}

pub async fn insert_skip(db: &impl GenericClient, k: &LogKey<'_>, rule: &str) -> R<u64> {
    db.execute_typed(
        "INSERT INTO communication_logs (message_id, channel, status, rule, template, category, direction, parent_id, coach_id)
         VALUES ($1, $2, 'skipped', $3, $4, $5, 'outbound', $6, $7)
         ON CONFLICT (message_id, channel) WHERE message_id IS NOT NULL DO NOTHING",
        &[
            (&k.message_id, Type::UUID),
            (&k.channel, Type::TEXT),
            (&rule, Type::TEXT),
            (&k.template, Type::TEXT),
            (&k.category, Type::TEXT),
            (&k.parent_id, Type::UUID),
            (&k.coach_id, Type::UUID),
        ],
    )
    .await
}

pub async fn update_result(
    db: &impl GenericClient,
    message_id: Uuid,
    channel: &str,
    status: &str,
    provider_id: Option<&str>,
    error: Option<&str>,
) -> R<u64> {
    db.execute_typed(
        "UPDATE communication_logs SET status = $3, provider_message_id = $4, error = $5, updated_at = NOW()
         WHERE message_id = $1 AND channel = $2",
        &[
            (&message_id, Type::UUID),
            (&channel, Type::TEXT),
            (&status, Type::TEXT),
            (&provider_id, Type::TEXT),
            (&error, Type::TEXT),
        ],
    )
    .await
}

/// A parent's stored notification preferences.
pub async fn preferences(db: &impl GenericClient, parent_id: Uuid) -> R<Option<Value>> {
    let row = db
        .query_typed_opt(
            "SELECT notification_preferences FROM parents WHERE id = $1",
            &[(&parent_id, Type::UUID)],
        )
        .await?;
    Ok(row
        .map(|r| r.try_get::<_, Option<Value>>(0))
        .transpose()?
        .flatten())
}

/// Merges `patch` over what is stored, in one statement: concurrent PUTs that change different
/// keys each keep their change. Returns the stored object after the merge.
pub async fn merge_preferences(
    db: &impl GenericClient,
    parent_id: Uuid,
    patch: &Value,
) -> R<Option<Value>> {
    let row = db
        .query_typed_opt(
            "UPDATE parents
             SET notification_preferences = COALESCE(notification_preferences, '{}'::jsonb) || $2
             WHERE id = $1 RETURNING notification_preferences",
            &[(&parent_id, Type::UUID), (patch, Type::JSONB)],
        )
        .await?;
    Ok(row
        .map(|r| r.try_get::<_, Option<Value>>(0))
        .transpose()?
        .flatten())
}
