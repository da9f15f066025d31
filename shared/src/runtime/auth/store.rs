//! The statement the auth layer runs: which parent a token's user is. Unnamed, with its
//! parameter types (one round trip, pooler-safe).
use tokio_postgres::types::Type;
use tokio_postgres::GenericClient;
use uuid::Uuid;

/// The parent whose `user_id` is the token's subject.
pub async fn id_for_user(
    db: &impl GenericClient,
    user_id: Uuid,
) -> Result<Option<Uuid>, tokio_postgres::Error> {
    let row = db
        .query_typed_opt(
            "SELECT id FROM parents WHERE user_id = $1",
            &[(&user_id, Type::UUID)],
        )
        .await?;
    row.map(|r| r.try_get(0)).transpose()
}
