//! `POST /admin/elearning/modules` (bulk import), `GET /admin/elearning/coverage` and
//! `GET /elearning/modules` (function elearning-admin).
use super::coverage::{self, Target};
use super::module_rule::{self, RawModule};
use super::service::{self};
use super::store;
use crate::common::sheet_rows::SheetRows;
use crate::runtime::context::AppContext;
use crate::runtime::function::Route;
use crate::runtime::http::{
    body_bytes, header, json_response, respond, ApiError, FieldErrors, SingleParams,
};
use crate::runtime::router::matched;
use lambda_http::{Body, Request, Response};
use serde::Deserialize;
use serde_json::json;

pub const FUNCTION: &str = "elearning-admin";

// The routes this function serves (its declaration lists them; `router::matched` says which
// one a request came by).
pub const IMPORT: Route = Route {
    method: "POST",
    path: "/admin/elearning/modules",
};
pub const COVERAGE: Route = Route {
    method: "GET",
    path: "/admin/elearning/coverage",
};
pub const PUBLISHED: Route = Route {
    method: "GET",
    path: "/elearning/modules",
};
pub const MAX_ROWS: usize = 2_000;
pub const MAX_BODY: usize = 2 * 1024 * 1024;

pub async fn handle(ctx: &AppContext, req: Request) -> Response<Body> {
    respond(FUNCTION, req, |req, _rid| async move {
        let route = matched(&req).copied();
        if route == Some(PUBLISHED) {
            ctx.jwt()?.caller(&req).await?;
            return published(ctx, &req).await;
        }
        ctx.jwt()?.require_admin(&req).await?;
        match route {
            Some(COVERAGE) => report(ctx, &req).await,
            Some(IMPORT) => import(ctx, &req).await,
            _ => Err(ApiError::NotFound("no such route".into())),
        }
    })
    .await
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct ImportBody {
    modules: Vec<RawModule>,
    #[serde(default)]
    dry_run: Option<bool>,
}

fn too_many() -> ApiError {
    ApiError::TooMany {
        limit: MAX_ROWS,
        what: "modules per import",
    }
}

/// The CSV's rows as modules with their spreadsheet row numbers (header = 1).
fn csv_rows(bytes: &[u8]) -> Result<Vec<(u64, RawModule)>, ApiError> {
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(bytes);
    let mut sheet = SheetRows::new(bytes);
    let header = reader
        .headers()
        .map_err(|_| ApiError::invalid_field("body", "the first line must be the CSV header"))?;
    sheet.row_of(header.position());
    let headers: Vec<String> = header
        .iter()
        .map(|h| {
            h.trim_start_matches('\u{feff}')
                .trim()
                .to_lowercase()
                .replace(['_', ' '], "")
        })
        .collect();
    let col = |names: &[&str]| headers.iter().position(|h| names.contains(&h.as_str()));
    let cols = [
        col(&["stage"]),
        col(&["topic"]),
        col(&["position"]),
        col(&["title"]),
        col(&["youtube", "youtubeurl", "youtubevideoid", "video"]),
        col(&["durationseconds", "duration"]),
        col(&["quizid", "quiz"]),
        col(&["status"]),
    ];
    let required = [
        "stage",
        "topic",
        "position",
        "title",
        "youtube",
        "durationSeconds",
    ];
    let missing: Vec<&str> = required
        .iter()
        .zip(cols.iter())
        .filter(|(_, c)| c.is_none())
        .map(|(n, _)| *n)
        .collect();
    if !missing.is_empty() {
        return Err(ApiError::invalid_field(
            "body",
            &format!("the CSV header lacks {}", missing.join(", ")),
        ));
    }
    let mut rows = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| {
            let line = sheet.row_of(e.position());
            ApiError::bad_request(
                format!("row {line} is not CSV"),
                json!({ "errors": [{ "row": line, "field": "body", "message": "not a CSV line" }] }),
            )
        })?;
        let row = sheet.row_of(record.position());
        if record.iter().all(str::is_empty) {
            continue;
        }
        if rows.len() == MAX_ROWS {
            return Err(too_many());
        }
        let cell = |i: Option<usize>| i.and_then(|i| record.get(i)).map(str::to_string);
        rows.push((
            row,
            RawModule {
                stage: cell(cols[0]),
                topic: cell(cols[1]),
                position: cell(cols[2]),
                title: cell(cols[3]),
                youtube: cell(cols[4]),
                duration_seconds: cell(cols[5]),
                quiz_id: cell(cols[6]),
                status: cell(cols[7]),
            },
        ));
    }
    Ok(rows)
}

async fn import(ctx: &AppContext, req: &Request) -> Result<Response<Body>, ApiError> {
    let bytes = body_bytes(req, MAX_BODY)?;
    let is_csv =
        header(req, "content-type").is_some_and(|c| c.to_ascii_lowercase().starts_with("text/csv"));
    let mut errors = FieldErrors::default();
    let dry_query = SingleParams::of(req).one("dryRun", &mut errors);
    errors.into_result()?;
    let (rows, dry_run) = if is_csv {
        let dry = match dry_query.as_deref() {
            None | Some("false") => false,
            Some("true") => true,
            Some(_) => return Err(ApiError::invalid_field("dryRun", "must be true or false")),
        };
        (csv_rows(bytes)?, dry)
    } else {
        let body: ImportBody = crate::runtime::http::json_body(req, MAX_BODY)?;
        if body.modules.len() > MAX_ROWS {
            return Err(too_many());
        }
        let rows = body
            .modules
            .into_iter()
            .enumerate()
            .map(|(i, m)| (i as u64 + 1, m))
            .collect();
        (rows, body.dry_run.unwrap_or(false))
    };
    if rows.is_empty() {
        return Err(ApiError::invalid_field("modules", "no modules in the file"));
    }
    let answer = service::import(ctx, &rows, dry_run).await?;
    Ok(json_response(200, &answer))
}

async fn report(ctx: &AppContext, req: &Request) -> Result<Response<Body>, ApiError> {
    let mut errors = FieldErrors::default();
    let format = SingleParams::of(req).one("format", &mut errors);
    errors.into_result()?;
    let client = ctx.pool.get().await?;
    let (plan, counts) = tokio::try_join!(store::topics(&**client), store::counts(&**client))?;
    let targets: Vec<Target> = plan.into_iter().map(|(_, t)| t).collect();
    let c = coverage::coverage(&targets, &counts);
    match format.as_deref() {
        None | Some("json") => Ok(json_response(200, &c)),
        Some("csv") => Response::builder()
            .status(200)
            .header("content-type", "text/csv; charset=utf-8")
            .body(Body::Text(coverage::csv(&c)))
            .map_err(|e| ApiError::Internal(e.into())),
        Some(_) => Err(ApiError::invalid_field("format", "must be json or csv")),
    }
}

async fn published(ctx: &AppContext, req: &Request) -> Result<Response<Body>, ApiError> {
    let params = SingleParams::of(req);
    let mut errors = FieldErrors::default();
    let stage = params.one("stage", &mut errors).and_then(|s| {
        let v = module_rule::stage(&s);
        if v.is_none() {
            errors.add(
                "stage",
                "must be foundation (4-6), building (7-9) or mastery (10-12)",
            );
        }
        v
    });
    let topic = params.one("topic", &mut errors).map(|t| t.to_lowercase());
    errors.into_result()?;
    let client = ctx.pool.get().await?;
    let modules = store::published(&**client, stage, topic.as_deref()).await?;
    Ok(json_response(200, &json!({ "modules": modules })))
}
