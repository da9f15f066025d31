//! The `parents` rows the auth layer and the preferences API read and write. One function per
//! statement, unnamed statements with their parameter types (one round trip, pooler-safe).
use serde_json::Value;
use tokio_postgres::types::Type;
use tokio_postgres::GenericClient;
use uuid::Uuid;

type R<T> = Result<T, tokio_postgres::Error>;

/// The parent whose `user_id` is the token's subject.
pub async fn id_for_user(db: &impl GenericClient, user_id: Uuid) -> R<Option<Uuid>> {
    let row = db
        .query_typed_opt(
            "SELECT id FROM parents WHERE user_id = $1",
            &[(&user_id, Type::UUID)],
        )
        .await?;
    row.map(|r| r.try_get(0)).transpose()
}

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
