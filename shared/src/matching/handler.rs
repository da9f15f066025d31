//! `GET /admin/coaches/match`, `GET`/`PUT /admin/coaches/{coachId}/specializations` (function
//! coach-match).
use super::service;
use super::skill_match::{rank, Held};
use super::specialization::{self, Entry};
use super::store;
use crate::runtime::context::AppContext;
use crate::runtime::function::Route;
use crate::runtime::http::{
    json_body, json_response, path_param, respond, ApiError, FieldErrors, SingleParams,
    MAX_JSON_BODY,
};
use crate::runtime::router::matched;
use lambda_http::{Body, Request, Response};
use serde::Deserialize;
use serde_json::json;
use uuid::Uuid;

pub const FUNCTION: &str = "coach-match";

// The routes this function serves (its declaration lists them; `router::matched` says which
// one a request came by).
pub const MATCH: Route = Route {
    method: "GET",
    path: "/admin/coaches/match",
};
pub const SPECIALIZATIONS: Route = Route {
    method: "GET",
    path: "/admin/coaches/{coachId}/specializations",
};
pub const REPLACE_SPECIALIZATIONS: Route = Route {
    method: "PUT",
    path: "/admin/coaches/{coachId}/specializations",
};
pub const DEFAULT_LIMIT: usize = 5;
pub const MAX_LIMIT: usize = 50;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PutBody {
    specializations: Vec<Entry>,
}

/// `childId` and `limit` from the query string, each named when wrong.
fn match_query(req: &Request) -> Result<(Uuid, usize), ApiError> {
    let params = SingleParams::of(req);
    let mut errors = FieldErrors::default();
    let one = |name: &str, errors: &mut FieldErrors| params.one(name, errors);
    let child = match one("childId", &mut errors) {
        None => {
            errors.add("childId", "required");
            None
        }
        Some(s) => {
            let id = Uuid::parse_str(&s).ok();
            if id.is_none() {
                errors.add("childId", "must be a UUID");
            }
            id
        }
    };
    let limit = match one("limit", &mut errors) {
        None => DEFAULT_LIMIT,
        Some(s) => match s.parse::<usize>() {
            Ok(n) if (1..=MAX_LIMIT).contains(&n) => n,
            _ => {
                errors.add(
                    "limit",
                    format!("must be a whole number from 1 to {MAX_LIMIT}"),
                );
                DEFAULT_LIMIT
            }
        },
    };
    errors.into_result()?;
    child
        .map(|c| (c, limit))
        .ok_or_else(|| ApiError::invalid_field("childId", "required"))
}

fn coach_id(req: &Request) -> Result<Uuid, ApiError> {
    path_param(req, "coachId")
        .and_then(|s| Uuid::parse_str(&s).ok())
        .ok_or_else(|| ApiError::invalid_field("coachId", "must be a UUID"))
}

fn set_json(coach: Uuid, set: &[Held]) -> serde_json::Value {
    json!({
        "coachId": coach,
        "specializations": set.iter().map(|s| json!({
            "type": s.kind, "value": s.value, "proficiency": s.proficiency,
        })).collect::<Vec<_>>(),
    })
}

pub async fn handle(ctx: &AppContext, req: Request) -> Response<Body> {
    respond(FUNCTION, req, |req, _rid| async move {
        let admin = ctx.jwt()?.require_admin(&req).await?;
        let route = matched(&req).copied();
        if route == Some(MATCH) {
            return find_matches(ctx, &req).await;
        }
        let coach = coach_id(&req)?;
        match route {
            Some(REPLACE_SPECIALIZATIONS) => replace_set(ctx, &req, coach, &admin.user_id).await,
            _ => {
                let client = ctx.pool.get().await?;
                let (exists, set) = tokio::try_join!(
                    store::coach_exists(&**client, coach),
                    store::specializations(&**client, coach)
                )?;
                if !exists {
                    return Err(ApiError::NotFound("no such coach".into()));
                }
                Ok(json_response(200, &set_json(coach, &set)))
            }
        }
    })
    .await
}

async fn find_matches(ctx: &AppContext, req: &Request) -> Result<Response<Body>, ApiError> {
    let (child_id, limit) = match_query(req)?;
    let client = ctx.pool.get().await?;
    let (child, coaches) = tokio::try_join!(
        store::child_profile(&**client, child_id),
        store::active_coaches(&**client)
    )?;
    let child = child.ok_or_else(|| ApiError::NotFound("no such child".into()))?;
    let matches = rank(&child, &coaches, limit);
    tracing::info!(child_id = %child_id, coaches = coaches.len(), returned = matches.len(), "coaches matched");
    Ok(json_response(
        200,
        &json!({ "childId": child_id, "matches": matches }),
    ))
}

async fn replace_set(
    ctx: &AppContext,
    req: &Request,
    coach: Uuid,
    actor: &str,
) -> Result<Response<Body>, ApiError> {
    let body: PutBody = json_body(req, MAX_JSON_BODY)?;
    let set = specialization::validate(&body.specializations).map_err(|errors| {
        let mut fields = FieldErrors::default();
        for (field, problem) in errors {
            fields.add(&field, problem);
        }
        fields.into_result().err().unwrap_or_else(|| {
            ApiError::bad_request("invalid specializations", serde_json::Value::Null)
        })
    })?;
    let stored = service::replace_specializations(ctx, coach, &set, actor).await?;
    Ok(json_response(200, &set_json(coach, &stored)))
}
