//! The matching service: a coach's specializations replaced as a whole in one transaction.
use super::skill_match::Held;
use super::specialization::Specialization;
use super::store;
use crate::runtime::context::AppContext;
use crate::runtime::http::ApiError;
use uuid::Uuid;

/// Replaces the coach's whole set with `set` (validated): the set as stored, or 404.
pub async fn replace_specializations(
    ctx: &AppContext,
    coach: Uuid,
    set: &[Specialization],
    actor: &str,
) -> Result<Vec<Held>, ApiError> {
    let mut client = ctx.pool.get().await?;
    let tx = (**client).transaction().await?;
    if !store::lock_coach(&tx, coach).await? {
        return Err(ApiError::NotFound("no such coach".into()));
    }
    store::delete_specializations(&tx, coach).await?;
    store::insert_specializations(&tx, coach, set).await?;
    let stored = store::specializations(&tx, coach).await?;
    tx.commit().await?;
    tracing::info!(coach_id = %coach, actor, entries = stored.len(), "coach specializations replaced");
    Ok(stored)
}
