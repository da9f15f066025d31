//! The local API server: every HTTP route of the functions on one port, each request handed to
//! the very handler its Lambda binary calls, as the same `lambda_http::Request`.
use axum::body::Bytes;
use axum::extract::State;
use axum::response::Response as AxumResponse;
use axum::Router;
use lambda_http::RequestExt;
use shared::context::AppContext;
use shared::functions::{dispatch_http, match_route, spec};
use shared::http::ApiError;
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;

/// API Gateway's own payload limit; handlers apply their tighter ones.
const GATEWAY_BODY_LIMIT: usize = 10 * 1024 * 1024;

pub fn router(ctx: Arc<AppContext>) -> Router {
    Router::new()
        .fallback(handle)
        .layer(axum::extract::DefaultBodyLimit::max(GATEWAY_BODY_LIMIT))
        .with_state(ctx)
}

pub async fn spawn(
    ctx: Arc<AppContext>,
    addr: SocketAddr,
) -> std::io::Result<(SocketAddr, tokio::task::JoinHandle<()>)> {
    let listener = tokio::net::TcpListener::bind(addr).await?;
    let local = listener.local_addr()?;
    let app = router(ctx);
    let handle = tokio::spawn(async move {
        if let Err(e) = axum::serve(listener, app).await {
            tracing::error!(error = %e, "local api server stopped");
        }
    });
    Ok((local, handle))
}

fn to_axum(resp: lambda_http::Response<lambda_http::Body>) -> AxumResponse {
    let (parts, body) = resp.into_parts();
    let bytes = match body {
        lambda_http::Body::Empty => Vec::new(),
        lambda_http::Body::Text(t) => t.into_bytes(),
        lambda_http::Body::Binary(b) => b,
        _ => Vec::new(),
    };
    AxumResponse::from_parts(parts, axum::body::Body::from(bytes))
}

async fn handle(State(ctx): State<Arc<AppContext>>, req: axum::extract::Request) -> AxumResponse {
    let (parts, body) = req.into_parts();
    let bytes: Bytes = match axum::body::to_bytes(body, GATEWAY_BODY_LIMIT).await {
        Ok(b) => b,
        Err(_) => {
            return to_axum(
                ApiError::PayloadTooLarge {
                    limit: GATEWAY_BODY_LIMIT,
                }
                .into_response("local"),
            );
        }
    };
    let path = parts.uri.path().to_string();
    let query = parts.uri.query().unwrap_or("").to_string();
    let Some((route, params)) = match_route(parts.method.as_str(), &path) else {
        let rid = uuid::Uuid::new_v4().to_string();
        return to_axum(
            ApiError::NotFound(format!("no route for {} {}", parts.method, path))
                .into_response(&rid),
        );
    };
    if let Some(spec) = spec(route.function) {
        let missing = ctx.config.missing(spec.env);
        if !missing.is_empty() {
            let rid = uuid::Uuid::new_v4().to_string();
            return to_axum(ApiError::missing_config(&missing).into_response(&rid));
        }
    }
    let mut query_map: HashMap<String, Vec<String>> = HashMap::new();
    for (k, v) in url::form_urlencoded::parse(query.as_bytes()) {
        query_map
            .entry(k.into_owned())
            .or_default()
            .push(v.into_owned());
    }
    let path_map: HashMap<String, String> = params.into_iter().collect();
    let body = if bytes.is_empty() {
        lambda_http::Body::Empty
    } else {
        match String::from_utf8(bytes.to_vec()) {
            Ok(s) => lambda_http::Body::Text(s),
            Err(e) => lambda_http::Body::Binary(e.into_bytes()),
        }
    };
    let req = lambda_http::Request::from_parts(parts, body)
        .with_path_parameters(path_map)
        .with_query_string_parameters(query_map);
    to_axum(dispatch_http(&ctx, route.function, req).await)
}
