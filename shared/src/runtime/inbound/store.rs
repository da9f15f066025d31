//! Inbound webhook events (`webhook_events`): recorded once per provider and event id. One function per
//! statement, each an unnamed statement with its parameter types (one round trip, pooler-safe).
use tokio_postgres::types::Type;
use tokio_postgres::GenericClient;
use uuid::Uuid;

type R<T> = Result<T, tokio_postgres::Error>;

pub async fn event_recorded(db: &impl GenericClient, provider: &str, event_id: &str) -> R<bool> {
    Ok(db
        .query_typed_opt(
            "SELECT 1 FROM webhook_events WHERE provider = $1 AND event_id = $2",
            &[(&provider, Type::TEXT), (&event_id, Type::TEXT)],
        )
        .await?
        .is_some())
}

/// Records the event; `None` when this provider's event id is already recorded.
pub async fn insert_event(
    db: &impl GenericClient,
    provider: &str,
    event_id: &str,
    event_type: &str,
    raw: &str,
) -> R<Option<Uuid>> {
    let row = db
        .query_typed_opt(
            "INSERT INTO webhook_events (provider, event_id, event_type, raw_payload) VALUES ($1, $2, $3, $4)
             ON CONFLICT ON CONSTRAINT uq_webhook_events_provider_event DO NOTHING RETURNING id",
            &[
                (&provider, Type::TEXT),
                (&event_id, Type::TEXT),
                (&event_type, Type::TEXT),
                (&raw, Type::TEXT),
            ],
        )
        .await?;
    row.map(|r| r.try_get(0)).transpose()
}

pub async fn mark_event_processed(db: &impl GenericClient, id: Uuid, note: Option<&str>) -> R<u64> {
    db.execute_typed(
        "UPDATE webhook_events SET processed_at = NOW(), error = $2 WHERE id = $1",
        &[(&id, Type::UUID), (&note, Type::TEXT)],
    )
    .await
}
