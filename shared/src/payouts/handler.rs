//! `payout-reconcile`: `GET /admin/payouts`, `POST /admin/payouts/{payoutId}/reconcile`,
//! `POST /admin/payouts/statement`, `GET /admin/payouts/{payoutId}/receipt` and
//! `GET /coach/payouts/{payoutId}/receipt`.
use super::service::{self, not_found};
use super::{receipt, statement, store, utr};
use crate::runtime::context::AppContext;
use crate::runtime::function::Route;
use crate::runtime::http::{
    body_bytes, json_body, json_response, path_param, respond, ApiError, FieldErrors, SingleParams,
    MAX_JSON_BODY,
};
use crate::runtime::router::matched;
use chrono::{NaiveDate, Utc};
use lambda_http::{Body, Request, Response};
use serde::Deserialize;
use serde_json::{json, Value};
use uuid::Uuid;

pub const FUNCTION: &str = "payout-reconcile";

// The routes this function serves (its declaration lists them; `router::matched` says which
// one a request came by).
pub const LIST: Route = Route {
    method: "GET",
    path: "/admin/payouts",
};
pub const RECONCILE: Route = Route {
    method: "POST",
    path: "/admin/payouts/{payoutId}/reconcile",
};
pub const STATEMENT: Route = Route {
    method: "POST",
    path: "/admin/payouts/statement",
};
pub const RECEIPT: Route = Route {
    method: "GET",
    path: "/admin/payouts/{payoutId}/receipt",
};
pub const COACH_RECEIPT: Route = Route {
    method: "GET",
    path: "/coach/payouts/{payoutId}/receipt",
};
/// A bank statement upload (Lambda's own request limit is 6 MB).
pub const MAX_STATEMENT: usize = 4 * 1024 * 1024;
pub const STATUSES: [&str; 3] = ["pending", "completed", "failed"];

fn payout_id(req: &Request) -> Result<Uuid, ApiError> {
    path_param(req, "payoutId")
        .and_then(|s| Uuid::parse_str(&s).ok())
        .ok_or_else(|| ApiError::invalid_field("payoutId", "must be a UUID"))
}

pub async fn handle(ctx: &AppContext, req: Request) -> Response<Body> {
    respond(FUNCTION, req, |req, _rid| async move {
        let route = matched(&req).copied();
        if route == Some(COACH_RECEIPT) {
            return coach_receipt(ctx, &req).await;
        }
        let admin = ctx.jwt()?.require_admin(&req).await?;
        match route {
            Some(LIST) => list(ctx, &req).await,
            Some(STATEMENT) => match_statement(ctx, &req).await,
            Some(RECONCILE) => reconcile(ctx, &req, &admin.actor()).await,
            Some(RECEIPT) => {
                let id = payout_id(&req)?;
                let client = ctx.pool.get().await?;
                let p = store::get(&**client, id).await?.ok_or_else(not_found)?;
                pdf(&p)
            }
            _ => Err(not_found()),
        }
    })
    .await
}

fn pdf(p: &store::Payout) -> Result<Response<Body>, ApiError> {
    let Some(r) = p
        .receipt()
        .filter(|_| p.bank_transfer_status == "completed")
    else {
        return Err(ApiError::Conflict {
            code: "not_reconciled",
            message: "this payout has no bank transfer recorded yet".into(),
        });
    };
    let bytes = receipt::render(&r);
    Response::builder()
        .status(200)
        .header("content-type", "application/pdf")
        .header(
            "content-disposition",
            format!("inline; filename=\"{}.pdf\"", r.receipt_number),
        )
        .body(Body::Binary(bytes))
        .map_err(|e| ApiError::Internal(e.into()))
}

async fn coach_receipt(ctx: &AppContext, req: &Request) -> Result<Response<Body>, ApiError> {
    let caller = ctx.jwt()?.caller(req).await?;
    if caller.is_admin {
        return Err(ApiError::Forbidden(
            "this route is for coaches; admins use /admin/payouts/{payoutId}/receipt".into(),
        ));
    }
    let Some(email) = caller.email.filter(|e| !e.trim().is_empty()) else {
        return Err(ApiError::Forbidden(
            "this route is for coaches (a token with an email)".into(),
        ));
    };
    let client = ctx.pool.get().await?;
    let Some(coach) = store::coach_for_email(&**client, &email).await? else {
        return Err(ApiError::Forbidden("this route is for coaches".into()));
    };
    let id = payout_id(req)?;
    // Another coach's payout is not found, not forbidden: ids are not confirmed to strangers.
    let p = store::get_for_coach(&**client, id, coach)
        .await?
        .ok_or_else(not_found)?;
    pdf(&p)
}

async fn list(ctx: &AppContext, req: &Request) -> Result<Response<Body>, ApiError> {
    let params = SingleParams::of(req);
    let mut errors = FieldErrors::default();
    let one = |name: &str, errors: &mut FieldErrors| params.one(name, errors);
    let status = one("status", &mut errors);
    if status.as_deref().is_some_and(|s| !STATUSES.contains(&s)) {
        errors.add("status", "must be pending, completed or failed");
    }
    let coach_id = one("coachId", &mut errors).and_then(|s| {
        let id = Uuid::parse_str(&s).ok();
        if id.is_none() {
            errors.add("coachId", "must be a UUID");
        }
        id
    });
    let date = |name: &str, errors: &mut FieldErrors| {
        one(name, errors).and_then(|s| {
            let d = NaiveDate::parse_from_str(&s, "%Y-%m-%d").ok();
            if d.is_none() {
                errors.add(name, "must be a date, YYYY-MM-DD");
            }
            d
        })
    };
    let from = date("from", &mut errors);
    let to = date("to", &mut errors);
    if let (Some(f), Some(t)) = (from, to) {
        if f > t {
            errors.add("to", "must not be before from");
        }
    }
    let int = |name: &str, default: i64, max: i64, errors: &mut FieldErrors| match one(name, errors)
    {
        None => default,
        Some(s) => match s.parse::<i64>() {
            Ok(n) if (1..=max).contains(&n) => n,
            _ => {
                errors.add(name, format!("must be a whole number from 1 to {max}"));
                default
            }
        },
    };
    let page = int("page", 1, 100_000, &mut errors);
    let limit = int("limit", 20, 100, &mut errors);
    errors.into_result()?;
    let client = ctx.pool.get().await?;
    let (payouts, total) = store::list(
        &**client,
        &store::Filter {
            status,
            coach_id,
            from,
            to,
            limit,
            offset: (page - 1) * limit,
        },
    )
    .await?;
    Ok(json_response(
        200,
        &json!({ "payouts": payouts, "total": total, "page": page, "limit": limit }),
    ))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct ReconcileBody {
    utr_number: String,
    transfer_date: String,
    #[serde(default)]
    proof_url: Option<String>,
    #[serde(default)]
    amount: Option<i64>,
}

async fn reconcile(
    ctx: &AppContext,
    req: &Request,
    actor: &str,
) -> Result<Response<Body>, ApiError> {
    let id = payout_id(req)?;
    let found = {
        let client = ctx.pool.get().await?;
        store::get(&**client, id).await?.ok_or_else(not_found)?
    };
    let body: ReconcileBody = json_body(req, MAX_JSON_BODY)?;
    let mut errors = FieldErrors::default();
    let utr = utr::normalize(&body.utr_number)
        .map_err(|why| errors.add("utrNumber", why))
        .ok();
    let today = Utc::now()
        .with_timezone(&crate::common::ist::IST)
        .date_naive();
    let created = found
        .created_at
        .with_timezone(&crate::common::ist::IST)
        .date_naive();
    let transfer_date = match NaiveDate::parse_from_str(body.transfer_date.trim(), "%Y-%m-%d") {
        Err(_) => {
            errors.add("transferDate", "must be a date, YYYY-MM-DD");
            None
        }
        Ok(d) if d > today => {
            errors.add("transferDate", "must not be after today (Asia/Kolkata)");
            None
        }
        Ok(d) if d < created => {
            errors.add("transferDate", "must not be before the payout was created");
            None
        }
        Ok(d) => Some(d),
    };
    let proof = body
        .proof_url
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty());
    if let Some(p) = proof {
        let ok = p.len() <= 2000
            && reqwest::Url::parse(p).is_ok_and(|u| u.scheme() == "https" && u.host().is_some());
        if !ok {
            errors.add("proofUrl", "must be an https URL");
        }
    }
    if body.amount.is_some_and(|a| a < 0) {
        errors.add("amount", "must be paise, 0 or more");
    }
    errors.into_result()?;
    let (Some(utr), Some(transfer_date)) = (utr, transfer_date) else {
        return Err(ApiError::bad_request("invalid request", Value::Null));
    };

    let done = service::reconcile(
        ctx,
        id,
        &service::Transfer {
            utr: &utr,
            transfer_date,
            proof_url: proof,
            amount: body.amount,
        },
        actor,
    )
    .await?;
    Ok(json_response(200, &service::answer(&done)))
}

async fn match_statement(ctx: &AppContext, req: &Request) -> Result<Response<Body>, ApiError> {
    let bytes = body_bytes(req, MAX_STATEMENT)?;
    let parsed = statement::parse(bytes)
        .map_err(|why| ApiError::bad_request(why.clone(), json!({ "fields": { "body": why } })))?;
    let client = ctx.pool.get().await?;
    let pending = store::pending(&**client).await?;
    let proposals = statement::propose(&parsed.lines, &pending);
    let lines: Vec<Value> = parsed
        .lines
        .iter()
        .zip(proposals)
        .map(|(l, m)| {
            json!({
                "line": l.line, "date": l.date, "amount": l.amount, "utr": l.reference, "match": m,
            })
        })
        .collect();
    Ok(json_response(
        200,
        &json!({ "lines": lines, "skipped": parsed.skipped, "errors": parsed.errors }),
    ))
}
