//! `GET`/`PUT /parent/notification-preferences`: the caller's own settings, always the full
//! object with defaults filled in. PUT takes a full or partial object of the seven known
//! booleans; anything else is refused naming the key.
use super::rules::{parse_patch, Preferences};
use crate::context::AppContext;
use crate::http::{json_response, respond, ApiError, MAX_JSON_BODY};
use lambda_http::{Body, Request, Response};
use serde_json::Value;

pub const FUNCTION: &str = "preferences";

pub async fn handle(ctx: &AppContext, req: Request) -> Response<Body> {
    respond(FUNCTION, req, |req, _rid| async move {
        let client = ctx.pool.get().await?;
        let parent = ctx.jwt()?.require_parent(&client, &req).await?;
        match req.method().as_str() {
            "GET" => {
                let row = client
                    .query_one(
                        "SELECT notification_preferences FROM parents WHERE id = $1",
                        &[&parent.parent_id],
                    )
                    .await?;
                let stored: Option<Value> = row.get(0);
                Ok(json_response(
                    200,
                    &Preferences::from_stored(stored.as_ref()).to_json(),
                ))
            }
            "PUT" => {
                let body = Value::Object(crate::http::json_object(&req, MAX_JSON_BODY)?);
                let patch = parse_patch(&body)
                    .map_err(|(field, problem)| ApiError::invalid_field(&field, problem))?;
                // Defaults, then what was stored (cleaned), then the patch: always a full object.
                let row = client
                    .query_one(
                        "SELECT notification_preferences FROM parents WHERE id = $1 FOR UPDATE",
                        &[&parent.parent_id],
                    )
                    .await?;
                let stored: Option<Value> = row.get(0);
                let mut merged = Preferences::from_stored(stored.as_ref()).to_json();
                if let Value::Object(m) = &mut merged {
                    m.extend(patch);
                }
                let full = Preferences::from_stored(Some(&merged)).to_json();
                client
                    .execute(
                        "UPDATE parents SET notification_preferences = $2 WHERE id = $1",
                        &[&parent.parent_id, &full],
                    )
                    .await?;
                tracing::info!(parent_id = %parent.parent_id, "notification preferences updated");
                Ok(json_response(200, &full))
            }
            _ => Err(ApiError::NotFound("no such route".into())),
        }
    })
    .await
}
