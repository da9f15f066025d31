//! The e-learning service: an import validated against the plan and written in one transaction
//! (places checked, modules upserted), rolled back when it is a dry run.
use super::module_rule::{self, Module, RawModule, RowError, Topic};
use super::store;
use crate::runtime::context::AppContext;
use crate::runtime::http::ApiError;
use serde_json::{json, Value};
use tokio_postgres::error::SqlState;

pub fn refused(errors: Vec<RowError>) -> ApiError {
    ApiError::bad_request(
        format!("{} problems in the file; nothing was written", errors.len()),
        json!({ "errors": errors }),
    )
}

/// Validates the rows (numbered as the sheet shows them) and writes them: the counts created,
/// updated and unchanged, or every bad row named.
pub async fn import(
    ctx: &AppContext,
    rows: &[(u64, RawModule)],
    dry_run: bool,
) -> Result<Value, ApiError> {
    let mut client = ctx.pool.get().await?;
    let plan = store::topics(&**client).await?;
    let topics: Vec<Topic> = plan.iter().map(|(t, _)| t.clone()).collect();
    let modules: Vec<Module> = module_rule::validate(rows, &topics).map_err(refused)?;
    let tx = (**client).transaction().await?;
    let taken = store::taken_places(&tx, &modules).await?;
    if !taken.is_empty() {
        let errors: Vec<RowError> = taken
            .iter()
            .filter_map(|(video, holder)| {
                let i = modules.iter().position(|m| &m.youtube_video_id == video)?;
                Some(RowError {
                    row: rows[i].0,
                    field: "position".into(),
                    message: format!("this place is held by video {holder}"),
                })
            })
            .collect();
        return Err(refused(errors));
    }
    let (created, updated) = match store::upsert(&tx, &modules).await {
        Ok(v) => v,
        Err(e) if e.code() == Some(&SqlState::UNIQUE_VIOLATION) => {
            return Err(ApiError::Conflict {
                code: "place_taken",
                message: "another import took one of these places meanwhile; try again".into(),
            })
        }
        Err(e) => return Err(e.into()),
    };
    if dry_run {
        tx.rollback().await?;
    } else {
        tx.commit().await?;
    }
    let unchanged = modules.len() as i64 - created - updated;
    tracing::info!(
        created,
        updated,
        unchanged,
        dry_run,
        "e-learning modules imported"
    );
    Ok(json!({ "created": created, "updated": updated, "unchanged": unchanged, "dryRun": dry_run }))
}
