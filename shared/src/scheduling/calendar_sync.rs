//! `calendar-sync`: the calendar queue's consumer. Each message names a session; the event is
//! moved to the session's *current* time in the database, so late, repeated or out-of-order
//! messages never move it back. 404/410 from Google: logged, done. 5xx, 429, timeouts: the
//! message is reported as a batch item failure and retried (then the dead-letter queue).
use super::store;
use crate::clients::google::CalendarError;
use crate::runtime::context::AppContext;
use aws_lambda_events::sqs::{BatchItemFailure, SqsBatchResponse, SqsEvent};
use chrono::Duration;
use serde::Deserialize;
use uuid::Uuid;

pub const FUNCTION: &str = "calendar-sync";

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Message {
    session_id: Uuid,
}

/// What happened to one message (for logs and tests).
#[derive(Debug, PartialEq, Eq)]
pub enum Outcome {
    Moved,
    NoEvent,
    NoSession,
    Gone,
    Refused,
}

pub async fn sync_session(ctx: &AppContext, session: Uuid) -> Result<Outcome, String> {
    let view = {
        let client = ctx.pool.get().await.map_err(|e| e.to_string())?;
        store::calendar_view(&**client, session)
            .await
            .map_err(|e| e.to_string())?
    };
    let Some(view) = view else {
        tracing::warn!(session_id = %session, "calendar sync: no such session");
        return Ok(Outcome::NoSession);
    };
    let (Some(event), Some(start)) = (
        view.google_event_id.filter(|e| !e.is_empty()),
        view.scheduled_time,
    ) else {
        tracing::info!(session_id = %session, "calendar sync: the session has no calendar event");
        return Ok(Outcome::NoEvent);
    };
    let google = ctx.google().map_err(|e| e.to_string())?;
    let zone = view.coach_zone.unwrap_or_else(|| "Asia/Kolkata".into());
    let end = start + Duration::minutes(i64::from(view.duration_minutes));
    match google.move_event(&event, start, end, &zone).await {
        Ok(()) => {
            tracing::info!(session_id = %session, status = %view.status, "calendar event moved");
            Ok(Outcome::Moved)
        }
        Err(CalendarError::Gone(status)) => {
            tracing::warn!(session_id = %session, status, "calendar event gone; not retried");
            Ok(Outcome::Gone)
        }
        Err(CalendarError::Refused(why)) => {
            tracing::error!(session_id = %session, error = %why, "calendar refused the move; not retried");
            Ok(Outcome::Refused)
        }
        Err(CalendarError::Retry(why)) => Err(why),
    }
}

pub async fn handle_batch(ctx: &AppContext, event: SqsEvent) -> SqsBatchResponse {
    let mut response = SqsBatchResponse::default();
    for record in event.records {
        let id = record.message_id.clone().unwrap_or_default();
        let result = match record
            .body
            .as_deref()
            .and_then(|b| serde_json::from_str::<Message>(b).ok())
        {
            // An unreadable message will not become readable: logged and dropped.
            None => {
                tracing::error!(sqs_message_id = %id, "calendar message without a sessionId; dropped");
                Ok(Outcome::NoSession)
            }
            Some(m) => sync_session(ctx, m.session_id).await,
        };
        if let Err(e) = result {
            tracing::warn!(sqs_message_id = %id, error = %e, "calendar message will be retried");
            let mut failure = BatchItemFailure::default();
            failure.item_identifier = id;
            response.batch_item_failures.push(failure);
        }
    }
    response
}
