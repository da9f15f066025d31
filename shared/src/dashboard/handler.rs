//! `GET /admin/payments`, `GET /admin/payments/export` (function payments-list) and
//! `GET /admin/payments/stats` (function payments-stats). Admins only.
use super::export::CsvStream;
use super::filters::{ist_midnight, parse, Filters};
use super::service;
use super::store::{self, PaymentRow};
use crate::common::ist::IST as Kolkata;
use crate::runtime::context::AppContext;
use crate::runtime::function::Route;
use crate::runtime::http::{json_response, query_all, query_param, respond, ApiError};
use crate::runtime::router::matched;
use chrono::{DateTime, Datelike, NaiveDate, Utc};
use lambda_http::{Body, Request, Response};
use serde_json::{json, Value};

pub const LIST_FUNCTION: &str = "payments-list";

// The routes this function serves (its declaration lists them; `router::matched` says which
// one a request came by).
pub const LIST: Route = Route {
    method: "GET",
    path: "/admin/payments",
};
pub const EXPORT: Route = Route {
    method: "GET",
    path: "/admin/payments/export",
};
pub const STATS_FUNCTION: &str = "payments-stats";
/// Lambda answers at most 6 MB; past this the CSV goes to S3.
const EXPORT_ROW_CAP: i64 = 2_000_000;

fn ist(t: DateTime<Utc>) -> String {
    t.with_timezone(&Kolkata).to_rfc3339()
}

fn row_json(r: &PaymentRow) -> Value {
    json!({
        "id": r.id,
        "createdAt": ist(r.created_at),
        "parentName": r.parent_name,
        "childName": r.child_name,
        "amount": r.amount,
        "currency": r.currency,
        "status": r.status,
        "razorpayPaymentId": r.razorpay_payment_id,
        "refund": r.refund_status.as_ref().map(|s| json!({ "status": s, "amount": r.refund_amount })),
    })
}

pub async fn handle_list(ctx: &AppContext, req: Request) -> Response<Body> {
    respond(LIST_FUNCTION, req, |req, _rid| async move {
        ctx.jwt()?.require_admin(&req).await?;
        let export = matched(&req).copied() == Some(EXPORT);
        let filters = parse(&query_all(&req), !export)?;
        let client = ctx.pool.get().await?;
        if export {
            return export_csv(ctx, &client, &filters).await;
        }
        let (total, rows) = tokio::try_join!(
            service::total(&**client, &filters),
            store::list_payments(&**client, &filters)
        )?;
        Ok(json_response(
            200,
            &json!({
                "payments": rows.iter().map(row_json).collect::<Vec<_>>(),
                "total": total,
                "page": filters.page,
                "limit": filters.limit,
            }),
        ))
    })
    .await
}

fn file_name(f: &Filters) -> String {
    let clean = |s: &str| {
        s.chars()
            .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
            .take(25)
            .collect::<String>()
    };
    format!(
        "payments_{}_to_{}.csv",
        clean(&f.label.0),
        clean(&f.label.1)
    )
}

async fn export_csv(
    ctx: &AppContext,
    client: &tokio_postgres::Client,
    f: &Filters,
) -> Result<Response<Body>, ApiError> {
    use futures::TryStreamExt;
    let name = file_name(f);
    let inline_max = ctx.settings.export_inline_max_bytes;
    let csv_err = |e: csv::Error| ApiError::Internal(anyhow::anyhow!("csv: {e}"));
    let rows = store::stream_payments(client, f, EXPORT_ROW_CAP).await?;
    futures::pin_mut!(rows);
    let mut csv = CsvStream::new().map_err(csv_err)?;
    // Rows stream in; the file stays in memory only while it fits in a Lambda answer. Past that
    // it goes to S3 part by part, so at most one part is held whatever the export's size.
    let mut upload: Option<(super::upload::Upload<'_>, &str, String)> = None;
    let streamed: Result<(), ApiError> = async {
        while let Some(row) = rows.try_next().await? {
            csv.push(&row).map_err(csv_err)?;
            if upload.is_none() && csv.buffered() > inline_max {
                let bucket = ctx
                    .settings
                    .exports_bucket
                    .as_deref()
                    .ok_or_else(|| ApiError::missing_config(&["EXPORTS_BUCKET"]))?;
                let key = format!("exports/payments/{}/{name}", uuid::Uuid::new_v4());
                let started = super::upload::Upload::start(ctx.s3()?, bucket, &key, &name)
                    .await
                    .map_err(unreachable_store)?;
                upload = Some((started, bucket, key));
            }
            if let Some((up, _, _)) = upload.as_mut() {
                if csv.buffered() >= super::upload::PART_SIZE {
                    up.put(csv.take().map_err(csv_err)?)
                        .await
                        .map_err(unreachable_store)?;
                }
            }
        }
        Ok(())
    }
    .await;
    if let Err(e) = streamed {
        if let Some((up, _, _)) = upload {
            up.abort().await;
        }
        return Err(e);
    }
    let Some((mut up, bucket, key)) = upload else {
        let body = csv.take().map_err(csv_err)?;
        tracing::info!(
            rows = csv.rows(),
            bytes = body.len(),
            "payments export answered inline"
        );
        let text = String::from_utf8(body)
            .map_err(|_| ApiError::Internal(anyhow::anyhow!("export is not UTF-8")))?;
        let mut resp = Response::new(Body::Text(text));
        let headers = resp.headers_mut();
        headers.insert(
            "content-type",
            http::HeaderValue::from_static("text/csv; charset=utf-8"),
        );
        if let Ok(v) = http::HeaderValue::from_str(&format!("attachment; filename=\"{name}\"")) {
            headers.insert("content-disposition", v);
        }
        return Ok(resp);
    };
    let last = csv.take().map_err(csv_err)?;
    let finished = async {
        if !last.is_empty() {
            up.put(last).await?;
        }
        up.complete().await
    }
    .await;
    if let Err(e) = finished {
        return Err(unreachable_store(e));
    }
    tracing::info!(
        rows = csv.rows(),
        bytes = csv.bytes_taken(),
        "payments export uploaded"
    );
    let url = super::upload::presign_get(
        ctx.s3()?,
        bucket,
        &key,
        std::time::Duration::from_secs(15 * 60),
    )
    .await
    .map_err(ApiError::Internal)?;
    Ok(json_response(
        202,
        &json!({
            "status": "ready",
            "url": url,
            "expiresAt": ist(Utc::now() + chrono::Duration::minutes(15)),
            "rows": csv.rows(),
            "bytes": csv.bytes_taken(),
            "fileName": name,
        }),
    ))
}

fn unreachable_store(e: anyhow::Error) -> ApiError {
    tracing::warn!(error = %e, "export upload failed");
    ApiError::unavailable("the export store is not reachable right now")
}

/// [start, end) in UTC.
pub type Period = (DateTime<Utc>, DateTime<Utc>);

/// [start, end) of the Indian day and month that contain `at`.
pub fn ist_periods(at: DateTime<Utc>) -> (Period, Period) {
    let local = at.with_timezone(&Kolkata).date_naive();
    let day = (
        ist_midnight(local),
        ist_midnight(local.succ_opt().unwrap_or(local)),
    );
    let first = NaiveDate::from_ymd_opt(local.year(), local.month(), 1).unwrap_or(local);
    let next = if local.month() == 12 {
        NaiveDate::from_ymd_opt(local.year() + 1, 1, 1)
    } else {
        NaiveDate::from_ymd_opt(local.year(), local.month() + 1, 1)
    }
    .unwrap_or(local);
    (day, (ist_midnight(first), ist_midnight(next)))
}

pub async fn handle_stats(ctx: &AppContext, req: Request) -> Response<Body> {
    respond(STATS_FUNCTION, req, |req, _rid| async move {
        ctx.jwt()?.require_admin(&req).await?;
        // `asOf` (RFC 3339) asks what the figures were at another moment; default now.
        let as_of = match query_param(&req, "asOf") {
            None => Utc::now(),
            Some(s) => DateTime::parse_from_rfc3339(s.trim())
                .map(|t| t.with_timezone(&Utc))
                .map_err(|_| ApiError::invalid_field("asOf", "must be an RFC 3339 time"))?,
        };
        let (day, month) = ist_periods(as_of);
        let client = ctx.pool.get().await?;
        let s = store::stats(&**client, day, month).await?;
        Ok(json_response(
            200,
            &json!({
                "todayRevenue": s.today_revenue,
                "monthRevenue": s.month_revenue,
                "failedCount": s.failed_count,
                "pendingRefunds": s.pending_refunds,
                "todayRefunds": s.today_refunds,
                "monthRefunds": s.month_refunds,
                "monthNetRevenue": s.month_revenue - s.month_refunds,
                "currency": "INR",
                "asOf": ist(as_of),
            }),
        ))
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn periods_are_indian_day_and_month() -> Result<(), chrono::ParseError> {
        // 00:15 IST on 1 December is still 30 November in UTC.
        let at = DateTime::parse_from_rfc3339("2026-12-01T00:15:00+05:30")?.with_timezone(&Utc);
        let (day, month) = ist_periods(at);
        assert_eq!(day.0.to_rfc3339(), "2026-11-30T18:30:00+00:00");
        assert_eq!(month.0.to_rfc3339(), "2026-11-30T18:30:00+00:00");
        assert_eq!(month.1.to_rfc3339(), "2026-12-31T18:30:00+00:00");
        Ok(())
    }
}
