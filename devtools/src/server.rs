//! The local API server: every HTTP route of every function on one port. axum serves; the
//! runtime's router (the Lambda runner's) matches each request to its function's route.
//! Each request is handed to the very handler its Lambda binary calls, as the same
//! `lambda_http::Request`.
use axum::body::Bytes;
use axum::extract::{Request as AxumRequest, State};
use axum::response::Response as AxumResponse;
use axum::Router;
use lambda_http::RequestExt;
use shared::runtime::context::AppContext;
use shared::runtime::function::{Function, Route};
use shared::runtime::http::ApiError;
use shared::runtime::router::{self, NoRoute};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;

/// API Gateway's own payload limit; handlers apply their tighter ones.
const GATEWAY_BODY_LIMIT: usize = 10 * 1024 * 1024;

pub fn router(ctx: Arc<AppContext>) -> Router {
    Router::new()
        .fallback(serve)
        .layer(axum::extract::DefaultBodyLimit::max(GATEWAY_BODY_LIMIT))
        .with_state(ctx)
}

/// Every request is matched by the runtime's router (the one the Lambda runner uses) against
/// every function's routes: no route is a 404, a route's path with another method a 405.
async fn serve(State(ctx): State<Arc<AppContext>>, req: AxumRequest) -> AxumResponse {
    let rid = uuid::Uuid::new_v4().to_string();
    let method = req.method().as_str().to_string();
    let path = req.uri().path().to_string();
    let all: Vec<&'static Route> = shared::functions::routes().map(|(r, _)| r).collect();
    match router::find(all.iter().copied(), &method, &path) {
        Ok((route, params)) => {
            let function = shared::functions::routes()
                .find(|(r, _)| std::ptr::eq(*r, route))
                .map(|(_, f)| f);
            match function {
                Some(function) => handle(ctx, function, params.into_iter().collect(), req).await,
                None => to_axum(ApiError::NotFound("no such route".into()).into_response(&rid)),
            }
        }
        Err(NoRoute::Method(methods)) => to_axum(
            ApiError::MethodNotAllowed {
                allowed: methods.join(", "),
            }
            .into_response(&rid),
        ),
        Err(NoRoute::Path) => {
            to_axum(ApiError::NotFound(format!("no route for {method} {path}")).into_response(&rid))
        }
    }
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

async fn handle(
    ctx: Arc<AppContext>,
    function: &'static Function,
    params: HashMap<String, String>,
    req: AxumRequest,
) -> AxumResponse {
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
    let missing = ctx.config.missing(&function.required_env());
    if !missing.is_empty() {
        let rid = uuid::Uuid::new_v4().to_string();
        return to_axum(ApiError::missing_config(&missing).into_response(&rid));
    }
    let query = parts.uri.query().unwrap_or("").to_string();
    let mut query_map: HashMap<String, Vec<String>> = HashMap::new();
    for (k, v) in url::form_urlencoded::parse(query.as_bytes()) {
        query_map
            .entry(k.into_owned())
            .or_default()
            .push(v.into_owned());
    }
    let body = if bytes.is_empty() {
        lambda_http::Body::Empty
    } else {
        match String::from_utf8(bytes.to_vec()) {
            Ok(s) => lambda_http::Body::Text(s),
            Err(e) => lambda_http::Body::Binary(e.into_bytes()),
        }
    };
    let req = lambda_http::Request::from_parts(parts, body)
        .with_path_parameters(params)
        .with_query_string_parameters(query_map);
    match function.call_http(&ctx, req).await {
        Some(resp) => to_axum(resp),
        None => to_axum(ApiError::NotFound("not an HTTP function".into()).into_response("local")),
    }
}
