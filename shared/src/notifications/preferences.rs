//! `GET`/`PUT /parent/notification-preferences`: the caller's own settings, always the full
//! object with defaults filled in. PUT takes a full or partial object of the seven known
//! booleans; anything else is refused naming the key.
use super::rules::{parse_patch, Preferences};
use super::store as parents;
use crate::runtime::context::AppContext;
use crate::runtime::function::Route;
use crate::runtime::http::{json_response, respond, ApiError, MAX_JSON_BODY};
use crate::runtime::router::matched;
use lambda_http::{Body, Request, Response};
use serde_json::Value;

pub const FUNCTION: &str = "preferences";

// The routes this function serves (its declaration lists them; `router::matched` says which
// one a request came by).
pub const GET_PREFERENCES: Route = Route {
    method: "GET",
    path: "/parent/notification-preferences",
};
pub const PUT_PREFERENCES: Route = Route {
    method: "PUT",
    path: "/parent/notification-preferences",
};

pub async fn handle(ctx: &AppContext, req: Request) -> Response<Body> {
    respond(FUNCTION, req, |req, _rid| async move {
        let jwt = ctx.jwt()?;
        let caller = jwt.caller(&req).await?;
        let client = ctx.pool.get().await?;
        let parent = jwt.require_parent(&**client, caller).await?;
        match matched(&req).copied() {
            Some(GET_PREFERENCES) => {
                let stored = parents::preferences(&**client, parent.parent_id).await?;
                Ok(json_response(
                    200,
                    &Preferences::from_stored(stored.as_ref()).to_json(),
                ))
            }
            Some(PUT_PREFERENCES) => {
                let body = Value::Object(crate::runtime::http::json_object(&req, MAX_JSON_BODY)?);
                let patch = parse_patch(&body)
                    .map_err(|(field, problem)| ApiError::invalid_field(&field, problem))?;
                // One statement merges the patch over what is stored (no lost update); the
                // answer is always the full object, defaults filled in.
                let stored =
                    parents::merge_preferences(&**client, parent.parent_id, &Value::Object(patch))
                        .await?;
                let full = Preferences::from_stored(stored.as_ref()).to_json();
                tracing::info!(parent_id = %parent.parent_id, "notification preferences updated");
                Ok(json_response(200, &full))
            }
            _ => Err(ApiError::NotFound("no such route".into())),
        }
    })
    .await
}
