//! The discovery-call service: a Cal.com event recorded once and replayed with the rest of its
//! booking chain into the one call it describes, in one transaction.
use super::booking::{replay, CalEvent};
use super::store;

pub const PROVIDER: &str = "cal";
use crate::runtime::context::AppContext;
use crate::runtime::http::ApiError;
use crate::runtime::inbound::store as events;
use tokio_postgres::GenericClient;

pub async fn process(
    ctx: &AppContext,
    event: &CalEvent,
    raw: &str,
) -> Result<&'static str, ApiError> {
    let event_id = event.event_id();
    let mut client = ctx.pool.get().await?;
    let tx = (**client).transaction().await?;
    store::lock_calls(&tx).await?;
    let Some(row_id) =
        events::insert_event(&tx, PROVIDER, &event_id, &event.trigger_event, raw).await?
    else {
        tx.commit().await?;
        return Ok("duplicate");
    };
    let outcome = match event.booking() {
        None => "stored",
        Some(b) => {
            store::insert_booking_event(&tx, &event_id, &b.uid, b.reschedule_uid.as_deref(), raw)
                .await?;
            apply_chain(&tx, b.uid.clone(), b.reschedule_uid.clone()).await?
        }
    };
    events::mark_event_processed(&tx, row_id, None).await?;
    tx.commit().await?;
    Ok(outcome)
}

/// Replays every event of the booking chain this event belongs to and writes the one call it
/// makes (merging rows that turned out to be one call).
pub async fn apply_chain(
    tx: &impl GenericClient,
    uid: String,
    replaced: Option<String>,
) -> Result<&'static str, ApiError> {
    let mut uids: Vec<String> = std::iter::once(uid).chain(replaced).collect();
    let mut bodies: Vec<String>;
    loop {
        let found = store::events_naming(tx, &uids).await?;
        let before = uids.len();
        bodies = Vec::with_capacity(found.len());
        for (u, r, body) in found {
            for x in std::iter::once(u).chain(r) {
                if !uids.contains(&x) {
                    uids.push(x);
                }
            }
            bodies.push(body);
        }
        if uids.len() == before || uids.len() > 200 {
            break;
        }
    }
    let bookings = bodies
        .iter()
        .filter_map(|b| serde_json::from_str::<CalEvent>(b).ok())
        .filter_map(|e| e.booking())
        .collect();
    let Some(call) = replay(bookings) else {
        return Ok("stored");
    };
    let rows = store::lock_calls_with_uids(tx, &uids).await?;
    let keep = rows.first().copied();
    if rows.len() > 1 {
        store::delete_calls(tx, &rows[1..]).await?;
    }
    let id = store::save_call(tx, keep, &call).await?;
    if store::link_by_metadata(tx, id).await? == 0 {
        store::link_by_rule(tx, id).await?;
    }
    Ok(if keep.is_some() { "updated" } else { "created" })
}
