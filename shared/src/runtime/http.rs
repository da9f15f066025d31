//! The HTTP edge shared by every endpoint: the error contract (`{error, code, requestId, details?}`), request ids, JSON
//! bodies with a size limit, and the wrapper that turns a handler's `Result` into a response.
use lambda_http::{Body, Request, RequestExt, Response};
use serde::Serialize;
use serde_json::{json, Map, Value};
use tracing::Instrument;

pub const MAX_JSON_BODY: usize = 64 * 1024;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{message}")]
    BadRequest { message: String, details: Value },
    #[error("{0}")]
    Unauthorized(String),
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    NotFound(String),
    /// The path is a route's, the method is not: `allowed` goes in the `Allow` header.
    #[error("this route takes {allowed}")]
    MethodNotAllowed { allowed: String },
    #[error("{message}")]
    Conflict { code: &'static str, message: String },
    #[error("{message}")]
    Gone { code: &'static str, message: String },
    #[error("the request body is larger than {limit} bytes")]
    PayloadTooLarge { limit: usize },
    #[error("at most {limit} {what}")]
    TooMany { limit: usize, what: &'static str },
    #[error("{message}")]
    BadGateway { message: String, details: Value },
    #[error("{message}")]
    Unavailable { message: String, retry_after: u32 },
    #[error("internal error")]
    Internal(#[from] anyhow::Error),
}

impl ApiError {
    pub fn bad_request(message: impl Into<String>, details: Value) -> Self {
        ApiError::BadRequest {
            message: message.into(),
            details,
        }
    }
    pub fn invalid_field(field: &str, problem: &str) -> Self {
        let mut fields = Map::new();
        fields.insert(field.to_string(), Value::String(problem.to_string()));
        ApiError::BadRequest {
            message: format!("{field}: {problem}"),
            details: json!({ "fields": fields }),
        }
    }
    pub fn unavailable(message: impl Into<String>) -> Self {
        ApiError::Unavailable {
            message: message.into(),
            retry_after: 5,
        }
    }
    pub fn missing_config(names: &[&str]) -> Self {
        ApiError::unavailable(format!(
            "this function is not configured: missing {}",
            names.join(", ")
        ))
    }

    pub fn status(&self) -> u16 {
        match self {
            ApiError::BadRequest { .. } => 400,
            ApiError::Unauthorized(_) => 401,
            ApiError::Forbidden(_) => 403,
            ApiError::NotFound(_) => 404,
            ApiError::MethodNotAllowed { .. } => 405,
            ApiError::Conflict { .. } => 409,
            ApiError::Gone { .. } => 410,
            ApiError::PayloadTooLarge { .. } | ApiError::TooMany { .. } => 413,
            ApiError::BadGateway { .. } => 502,
            ApiError::Unavailable { .. } => 503,
            ApiError::Internal(_) => 500,
        }
    }

    pub fn code(&self) -> &'static str {
        match self {
            ApiError::BadRequest { .. } => "invalid_request",
            ApiError::Unauthorized(_) => "unauthorized",
            ApiError::Forbidden(_) => "forbidden",
            ApiError::NotFound(_) => "not_found",
            ApiError::MethodNotAllowed { .. } => "method_not_allowed",
            ApiError::Conflict { code, .. } | ApiError::Gone { code, .. } => code,
            ApiError::PayloadTooLarge { .. } | ApiError::TooMany { .. } => "payload_too_large",
            ApiError::BadGateway { .. } => "gateway_refused",
            ApiError::Unavailable { .. } => "dependency_unavailable",
            ApiError::Internal(_) => "internal_error",
        }
    }

    /// The response body. Internal errors say nothing about their cause.
    pub fn to_body(&self, request_id: &str) -> Value {
        let mut body = json!({
            "error": self.to_string(),
            "code": self.code(),
            "requestId": request_id,
        });
        if let ApiError::BadRequest { details, .. } | ApiError::BadGateway { details, .. } = self {
            if !details.is_null() {
                body["details"] = details.clone();
            }
        }
        body
    }

    pub fn into_response(self, request_id: &str) -> Response<Body> {
        match &self {
            ApiError::Internal(e) => tracing::error!(error = %format!("{e:#}"), "internal error"),
            ApiError::Unavailable { message, .. } => {
                tracing::warn!(%message, "dependency unavailable")
            }
            other => tracing::info!(
                status = other.status(),
                code = other.code(),
                "request refused"
            ),
        }
        let mut resp = json_response(self.status(), &self.to_body(request_id));
        if let ApiError::Unavailable { retry_after, .. } = &self {
            if let Ok(v) = http::HeaderValue::from_str(&retry_after.to_string()) {
                resp.headers_mut().insert("retry-after", v);
            }
        }
        if let ApiError::MethodNotAllowed { allowed } = &self {
            if let Ok(v) = http::HeaderValue::from_str(allowed) {
                resp.headers_mut().insert("allow", v);
            }
        }
        resp
    }
}

impl From<tokio_postgres::Error> for ApiError {
    fn from(e: tokio_postgres::Error) -> Self {
        // Only a lost connection is "unavailable" (retry later). A row we cannot read (a NULL or
        // a type we did not expect in a schema we did not create) is a 500 that names nothing.
        let io = std::error::Error::source(&e).is_some_and(|s| s.is::<std::io::Error>());
        if e.is_closed() || io {
            tracing::warn!(error = %e, "database connection problem");
            ApiError::unavailable("the database is not reachable right now")
        } else {
            ApiError::Internal(anyhow::Error::new(e).context("database statement failed"))
        }
    }
}

impl From<deadpool_postgres::PoolError> for ApiError {
    fn from(e: deadpool_postgres::PoolError) -> Self {
        tracing::warn!(error = %e, "database pool could not hand out a connection");
        ApiError::unavailable("the database is not reachable right now")
    }
}

pub fn json_response<T: Serialize>(status: u16, body: &T) -> Response<Body> {
    let text = serde_json::to_string(body).unwrap_or_else(|_| "{}".to_string());
    let mut resp = Response::new(Body::Text(text));
    *resp.status_mut() = http::StatusCode::from_u16(status).unwrap_or(http::StatusCode::OK);
    resp.headers_mut().insert(
        "content-type",
        http::HeaderValue::from_static("application/json"),
    );
    resp
}

/// The id that ties a request's log lines to its response: API Gateway's, else Lambda's, else
/// one we make (local runs and tests).
pub fn request_id(req: &Request) -> String {
    if let Some(lambda_http::request::RequestContext::ApiGatewayV2(ctx)) = req.request_context_ref()
    {
        if let Some(id) = &ctx.request_id {
            if !id.is_empty() {
                return id.clone();
            }
        }
    }
    if let Some(ctx) = req.lambda_context_ref() {
        if !ctx.request_id.is_empty() {
            return ctx.request_id.clone();
        }
    }
    if let Some(id) = req
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .filter(|v| !v.is_empty() && v.len() <= 128 && v.chars().all(|c| c.is_ascii_graphic()))
    {
        return id.to_string();
    }
    uuid::Uuid::new_v4().to_string()
}

/// Runs a handler inside a span that carries the request id, and turns its error into the
/// contract's JSON. Every response carries `x-request-id`.
pub async fn respond<F, Fut>(function: &'static str, req: Request, handler: F) -> Response<Body>
where
    F: FnOnce(Request, String) -> Fut,
    Fut: std::future::Future<Output = Result<Response<Body>, ApiError>>,
{
    let rid = request_id(&req);
    let span = tracing::info_span!("request", requestId = %rid, function, method = %req.method(), path = %req.uri().path());
    async move {
        let mut resp = match handler(req, rid.clone()).await {
            Ok(r) => r,
            Err(e) => e.into_response(&rid),
        };
        if let Ok(v) = http::HeaderValue::from_str(&rid) {
            resp.headers_mut().insert("x-request-id", v);
        }
        tracing::info!(status = resp.status().as_u16(), "request done");
        resp
    }
    .instrument(span)
    .await
}

/// The raw body bytes, refusing bodies over `limit`.
pub fn body_bytes(req: &Request, limit: usize) -> Result<&[u8], ApiError> {
    let bytes: &[u8] = req.body().as_ref();
    if bytes.len() > limit {
        return Err(ApiError::PayloadTooLarge { limit });
    }
    Ok(bytes)
}

/// The body as a JSON object, or a 400 whose `details.fields.body` says why. Content-Type is not
/// trusted to decide (clients forget it).
pub fn json_object(req: &Request, limit: usize) -> Result<Map<String, Value>, ApiError> {
    let bytes = body_bytes(req, limit)?;
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(ApiError::bad_request(
            "the request body is empty; a JSON object is expected",
            json!({ "fields": { "body": "required" } }),
        ));
    }
    match serde_json::from_slice::<Value>(bytes) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(ApiError::bad_request(
            "the request body must be a JSON object",
            json!({ "fields": { "body": "must be a JSON object" } }),
        )),
        Err(_) => Err(ApiError::bad_request(
            "the request body is not valid JSON",
            json!({ "fields": { "body": "invalid JSON" } }),
        )),
    }
}

/// Parses the body into a typed request: serde with `deny_unknown_fields` into types that
/// validate on construction (`Reason`, `Paise`, …). One mapping from serde's error to the
/// `details.fields` contract: the field path from `serde_path_to_error`, the problem from the
/// error's kind (unknown, missing, wrong type, invalid value), never from its text.
pub fn json_body<T: serde::de::DeserializeOwned>(
    req: &Request,
    limit: usize,
) -> Result<T, ApiError> {
    let map = json_object(req, limit)?;
    typed(Value::Object(map)).map_err(|(field, problem)| ApiError::invalid_field(&field, &problem))
}

/// A JSON value as `T`, or (the field, the problem). The value goes through `serde_value`, whose
/// deserializer reports what went wrong as a kind (`MissingField`, `UnknownField`, …).
fn typed<T: serde::de::DeserializeOwned>(value: Value) -> Result<T, (String, String)> {
    let tree = serde_value::to_value(value)
        .map_err(|_| ("body".to_string(), "invalid JSON".to_string()))?;
    let de = serde_value::ValueDeserializer::<serde_value::DeserializerError>::new(tree);
    serde_path_to_error::deserialize(de)
        .map_err(|e| field_problem(&e.path().to_string(), e.inner()))
}

/// serde's error at `path` as (the field it names, the problem). A missing field is reported at
/// the object that should hold it, so its name is joined to that object's path:
/// `specializations[2]` + missing `value` → `specializations[2].value`. An unknown field's path
/// already ends with its name.
fn field_problem(path: &str, error: &serde_value::DeserializerError) -> (String, String) {
    use serde_value::DeserializerError as E;
    let at_root = path == "." || path.is_empty();
    match error {
        E::MissingField(name) if at_root => (name.to_string(), "required".into()),
        E::MissingField(name) => (format!("{path}.{name}"), "required".into()),
        E::UnknownField(name, _) if at_root => (name.clone(), "unknown field".into()),
        E::UnknownField(..) => (path.to_string(), "unknown field".into()),
        // Worded as serde words it (`invalid type: integer `5`, expected a string`).
        other => (
            if at_root { "body" } else { path }.to_string(),
            other.to_error::<serde_json::Error>().to_string(),
        ),
    }
}

/// Collects per-field problems so a 400 names every bad field at once.
#[derive(Default)]
pub struct FieldErrors(Map<String, Value>);

impl FieldErrors {
    pub fn add(&mut self, field: &str, problem: impl Into<String>) {
        self.0
            .entry(field.to_string())
            .or_insert_with(|| Value::String(problem.into()));
    }
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
    pub fn into_result(self) -> Result<(), ApiError> {
        if self.0.is_empty() {
            return Ok(());
        }
        let names: Vec<&str> = self.0.keys().map(String::as_str).collect();
        let message = format!("invalid request: check {}", names.join(", "));
        Err(ApiError::BadRequest {
            message,
            details: json!({ "fields": Value::Object(self.0) }),
        })
    }
}

pub fn path_param(req: &Request, name: &str) -> Option<String> {
    req.path_parameters_ref()
        .and_then(|p| p.first(name))
        .map(str::to_string)
}

pub fn query_param(req: &Request, name: &str) -> Option<String> {
    req.query_string_parameters_ref()
        .and_then(|p| p.first(name))
        .map(str::to_string)
}

pub fn header<'a>(req: &'a Request, name: &str) -> Option<&'a str> {
    req.headers().get(name).and_then(|v| v.to_str().ok())
}

/// Every query parameter with all its values (`?status=a&status=b`).
pub fn query_all(req: &Request) -> std::collections::HashMap<String, Vec<String>> {
    let mut out: std::collections::HashMap<String, Vec<String>> = std::collections::HashMap::new();
    if let Some(q) = req.query_string_parameters_ref() {
        for (k, v) in q.iter() {
            out.entry(k.to_string()).or_default().push(v.to_string());
        }
    }
    out
}

/// Query parameters each given at most once: `one(name, errors)` is the trimmed value (`None`
/// when absent or empty), and a repeated name is noted in `errors`.
pub struct SingleParams(std::collections::HashMap<String, Vec<String>>);

impl SingleParams {
    pub fn of(req: &Request) -> Self {
        SingleParams(query_all(req))
    }

    pub fn one(&self, name: &str, errors: &mut FieldErrors) -> Option<String> {
        match self.0.get(name).map(Vec::as_slice) {
            None | Some([]) => None,
            Some([v]) => Some(v.trim().to_string()).filter(|v| !v.is_empty()),
            Some(_) => {
                errors.add(name, "must be given once");
                None
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Entry {
        value: String,
        proficiency: i32,
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Body {
        name: String,
        entries: Vec<Entry>,
        inner: Option<Entry>,
    }

    /// The field each bad body is refused for, through the same path as `json_body`.
    fn named(body: Value) -> (String, String) {
        match typed::<Body>(body) {
            Ok(b) => (format!("accepted {b:?}"), String::new()),
            Err(problem) => problem,
        }
    }

    #[test]
    fn every_problem_names_the_field_inside_its_entry() {
        let ok = json!({"value": "x", "proficiency": 5});
        let cases = [
            (json!({"entries": []}), "name", "required"),
            (
                json!({"name": "a", "entries": [], "extra": 1}),
                "extra",
                "unknown field",
            ),
            (json!({"name": 5, "entries": []}), "name", "invalid type"),
            (
                json!({"name": "a", "entries": [ok, ok, {"proficiency": 5}]}),
                "entries[2].value",
                "required",
            ),
            (
                json!({"name": "a", "entries": [ok, {"value": "x", "proficiency": 5, "level": 2}]}),
                "entries[1].level",
                "unknown field",
            ),
            (
                json!({"name": "a", "entries": [{"value": "x", "proficiency": "high"}]}),
                "entries[0].proficiency",
                "invalid type",
            ),
            (
                json!({"name": "a", "entries": [{"value": "x", "proficiency": 1e12}]}),
                "entries[0].proficiency",
                "invalid type",
            ),
            (
                json!({"name": "a", "entries": [{"value": "x", "proficiency": 99_999_999_999i64}]}),
                "entries[0].proficiency",
                "invalid value",
            ),
            (
                json!({"name": "a", "entries": [], "inner": {"value": "x"}}),
                "inner.proficiency",
                "required",
            ),
            (
                json!({"name": "a", "entries": {}}),
                "entries",
                "invalid type",
            ),
        ];
        for (body, field, problem) in cases {
            let (got_field, got_problem) = named(body.clone());
            assert_eq!(got_field, field, "{body}");
            assert!(got_problem.starts_with(problem), "{body}: {got_problem}");
        }
    }
}
