//! AWS over HTTPS without the SDK. Each request is signed (SigV4) by `aws-sigv4`, AWS's own
//! signing crate, and sent with reqwest through a client that trusts only Amazon's roots. The
//! three services this backend calls use four small operations (SQS SendMessage, SES v2
//! SendEmail, an S3 multipart upload and a presigned GET): `sqs.rs`, `ses.rs`, `s3.rs`.
//!
//! Why not the SDK: it was two thirds of every AWS function's binary (43,000 dynamic relocations
//! against 18,000 without it) and kept those functions at 2.4-3x an empty binary's cold start
//! (README, "Size and cold start"). This client is built at cold start like the SDK's was; the
//! credentials are read from the environment (where Lambda puts the role's) on each call, never
//! before the first request, and every operation has the SDK's deadlines and retries.
use aws_credential_types::Credentials;
use aws_sigv4::http_request::{
    sign, PayloadChecksumKind, PercentEncodingMode, SignableBody, SignableRequest,
    SignatureLocation, SigningSettings, UriPathNormalizationMode,
};
use aws_sigv4::sign::v4;
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use std::time::{Duration, SystemTime};

pub mod s3;
pub mod ses;
pub mod sqs;

/// Per attempt and in total: SQS, SES and S3 answer in milliseconds when healthy.
pub const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(3);
pub const OPERATION_TIMEOUT: Duration = Duration::from_secs(8);
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(2);
/// The SDK's standard retry mode: three attempts, exponential backoff with jitter.
const MAX_ATTEMPTS: u32 = 3;
const BACKOFF_BASE: Duration = Duration::from_millis(50);

/// What identifies a service: its signing name, its endpoint variable (the SDK's names) and the
/// first label of its public endpoint.
pub struct Service {
    pub name: &'static str,
    signing_name: &'static str,
    endpoint_env: &'static str,
    host_label: &'static str,
}

pub const SQS: Service = Service {
    name: "SQS",
    signing_name: "sqs",
    endpoint_env: "AWS_ENDPOINT_URL_SQS",
    host_label: "sqs",
};
pub const SES: Service = Service {
    name: "SES",
    signing_name: "ses",
    endpoint_env: "AWS_ENDPOINT_URL_SESV2",
    host_label: "email",
};
pub const S3: Service = Service {
    name: "S3",
    signing_name: "s3",
    endpoint_env: "AWS_ENDPOINT_URL_S3",
    host_label: "s3",
};

/// RFC 3986 unreserved characters stay, everything else is percent-encoded (SigV4's rule).
pub(crate) const AWS_ENCODE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

pub(crate) fn encode(s: &str) -> String {
    utf8_percent_encode(s, AWS_ENCODE).to_string()
}

/// An AWS error as the caller sees it: the service's code and message, or why no answer came.
/// Carries no credential and no request body.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct AwsError(String);

impl AwsError {
    fn new(s: impl Into<String>) -> Self {
        AwsError(s.into())
    }

    /// Maps a local failure (building or signing a request) to an error naming the service.
    fn of<E: std::fmt::Display>(service: &Service) -> impl Fn(E) -> AwsError + '_ {
        move |e| AwsError(format!("{}: {e}", service.name))
    }
}

/// One request before signing.
pub(crate) struct Request {
    pub method: http::Method,
    pub url: String,
    pub headers: Vec<(&'static str, String)>,
    /// Shared, so each attempt (re-signed) sends it without copying a 5 MiB part.
    pub body: bytes::Bytes,
}

/// A 2xx answer.
pub(crate) struct Answer {
    pub headers: http::HeaderMap,
    pub body: bytes::Bytes,
}

impl Answer {
    /// A string field of a JSON answer (`MessageId`); empty when absent.
    pub fn json_str(&self, service: &Service, field: &str) -> Result<String, AwsError> {
        let v: serde_json::Value = serde_json::from_slice(&self.body)
            .map_err(|_| AwsError::of(service)("the answer is not JSON"))?;
        Ok(v.get(field)
            .and_then(|v| v.as_str())
            .unwrap_or_default()
            .to_string())
    }
}

/// The HTTP client, the region and the endpoint overrides: built once per cold start.
#[derive(Clone)]
pub struct Aws {
    http: reqwest::Client,
    region: Option<String>,
    /// `AWS_ENDPOINT_URL` (moto, LocalStack): every service there, S3 path-style.
    endpoint: Option<String>,
    /// `AWS_ENDPOINT_URL_<SERVICE>`: one service elsewhere (read at cold start).
    service_endpoints: Vec<(&'static str, String)>,
}

impl Aws {
    /// From the environment Lambda gives a function (`AWS_REGION`, `AWS_ENDPOINT_URL[_<SERVICE>]`).
    /// Reads no file and opens no connection.
    pub fn from_env() -> anyhow::Result<Self> {
        let http = crate::tls::aws_http_client_builder()
            .connect_timeout(CONNECT_TIMEOUT)
            .build()?;
        Ok(Aws {
            http,
            region: var("AWS_REGION").or_else(|| var("AWS_DEFAULT_REGION")),
            endpoint: var("AWS_ENDPOINT_URL").map(|e| e.trim_end_matches('/').to_string()),
            service_endpoints: [&SQS, &SES, &S3]
                .iter()
                .filter_map(|s| {
                    var(s.endpoint_env).map(|e| (s.endpoint_env, e.trim_end_matches('/').into()))
                })
                .collect(),
        })
    }

    /// Every service at `url` (tests play an outage with a closed port or a silent listener).
    pub fn with_endpoint(mut self, url: &str) -> Self {
        self.endpoint = Some(url.trim_end_matches('/').to_string());
        self.service_endpoints.clear();
        self
    }

    fn region(&self) -> Result<&str, AwsError> {
        self.region
            .as_deref()
            .ok_or_else(|| AwsError::new("no AWS region (AWS_REGION) is set"))
    }

    /// The service's endpoint override, if any (per-service variable first, as the SDK does).
    fn custom_endpoint(&self, service: &Service) -> Option<String> {
        self.service_endpoints
            .iter()
            .find(|(name, _)| *name == service.endpoint_env)
            .map(|(_, e)| e.clone())
            .or_else(|| self.endpoint.clone())
    }

    /// The base URL of a regional service: the override or `https://<label>.<region>.amazonaws.com`.
    fn base_url(&self, service: &Service) -> Result<String, AwsError> {
        match self.custom_endpoint(service) {
            Some(e) => Ok(e),
            None => Ok(format!(
                "https://{}.{}.amazonaws.com",
                service.host_label,
                self.region()?
            )),
        }
    }

    /// Sends `req` with the SDK's retry rule (transport errors, 5xx, 429 and throttling codes
    /// are retried; three attempts; every attempt signed afresh) inside `OPERATION_TIMEOUT`.
    pub(crate) async fn send(&self, service: &Service, req: Request) -> Result<Answer, AwsError> {
        match tokio::time::timeout(OPERATION_TIMEOUT, self.send_with_retries(service, &req)).await {
            Ok(r) => r,
            Err(_) => Err(AwsError::new(format!(
                "{}: no answer within {} s",
                service.name,
                OPERATION_TIMEOUT.as_secs()
            ))),
        }
    }

    async fn send_with_retries(
        &self,
        service: &Service,
        req: &Request,
    ) -> Result<Answer, AwsError> {
        let mut attempt = 1;
        loop {
            match self.attempt(service, req).await {
                Ok(answer) => return Ok(answer),
                Err((e, retryable)) if retryable && attempt < MAX_ATTEMPTS => {
                    tracing::debug!(service = service.name, attempt, error = %e, "AWS call retried");
                    let ceiling = BACKOFF_BASE * 2u32.pow(attempt);
                    let wait = ceiling.mul_f64(rand::random::<f64>());
                    tokio::time::sleep(wait).await;
                    attempt += 1;
                }
                Err((e, _)) => return Err(e),
            }
        }
    }

    async fn attempt(&self, service: &Service, req: &Request) -> Result<Answer, (AwsError, bool)> {
        let signed = credentials()
            .and_then(|creds| self.sign(service, req, &creds, SystemTime::now()))
            .map_err(|e| (e, false))?;
        let mut request =
            reqwest::Request::try_from(signed).map_err(|e| (AwsError::of(service)(e), false))?;
        *request.timeout_mut() = Some(ATTEMPT_TIMEOUT);
        // Called by path: db.rs checks that no method call named `execute` prepares SQL by name.
        let response = reqwest::Client::execute(&self.http, request)
            .await
            .map_err(|e| {
                let why = if e.is_timeout() {
                    "timed out"
                } else if e.is_connect() {
                    "could not connect"
                } else {
                    "transport error"
                };
                (AwsError::of(service)(why), true)
            })?;
        let status = response.status();
        let headers = response.headers().clone();
        let body = response
            .bytes()
            .await
            .map_err(|_| (AwsError::of(service)("answer cut off"), true))?;
        if status.is_success() {
            return Ok(Answer { headers, body });
        }
        let (code, message) = error_of(&headers, &body);
        let retryable = status.is_server_error()
            || status.as_u16() == 429
            || code.contains("Throttl")
            || code == "SlowDown"
            || code == "RequestTimeout";
        Err((
            AwsError::new(format!(
                "{} {code}: {message} (HTTP {})",
                service.name,
                status.as_u16()
            )),
            retryable,
        ))
    }

    /// The request with its SigV4 headers, signed at `time`.
    fn sign(
        &self,
        service: &Service,
        req: &Request,
        creds: &Credentials,
        time: SystemTime,
    ) -> Result<http::Request<bytes::Bytes>, AwsError> {
        let mut settings = SigningSettings::default();
        if service.signing_name == S3.signing_name {
            s3_settings(&mut settings);
        }
        let headers: Vec<(&str, &str)> =
            req.headers.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let instructions = self.instructions(
            (service, creds, time, settings),
            SignableRequest::new(
                req.method.as_str(),
                &req.url,
                headers.iter().copied(),
                SignableBody::Bytes(&req.body),
            ),
        )?;
        let mut builder = http::Request::builder()
            .method(req.method.clone())
            .uri(&req.url);
        for (k, v) in &req.headers {
            builder = builder.header(*k, v);
        }
        let mut out = builder
            .body(req.body.clone())
            .map_err(AwsError::of(service))?;
        instructions.apply_to_request_http1x(&mut out);
        Ok(out)
    }

    /// An S3 GET link valid for `expires`, signed in its query string.
    pub(crate) fn presign_get(
        &self,
        url: &str,
        expires: Duration,
        creds: &Credentials,
        time: SystemTime,
    ) -> Result<String, AwsError> {
        let mut settings = SigningSettings::default();
        s3_settings(&mut settings);
        settings.payload_checksum_kind = PayloadChecksumKind::NoHeader;
        settings.signature_location = SignatureLocation::QueryParams;
        settings.expires_in = Some(expires);
        let instructions = self.instructions(
            (&S3, creds, time, settings),
            SignableRequest::new(
                "GET",
                url,
                std::iter::empty(),
                SignableBody::UnsignedPayload,
            ),
        )?;
        let mut req = http::Request::builder()
            .uri(url)
            .body(())
            .map_err(AwsError::of(&S3))?;
        instructions.apply_to_request_http1x(&mut req);
        Ok(req.uri().to_string())
    }
}

/// Who signs, when and how: the service, the credentials, the time and the settings.
type Signer<'a> = (&'a Service, &'a Credentials, SystemTime, SigningSettings);

impl Aws {
    fn instructions(
        &self,
        (service, creds, time, settings): Signer<'_>,
        signable: Result<SignableRequest<'_>, aws_sigv4::http_request::SigningError>,
    ) -> Result<aws_sigv4::http_request::SigningInstructions, AwsError> {
        let identity = creds.clone().into();
        let params = v4::SigningParams::builder()
            .identity(&identity)
            .region(self.region()?)
            .name(service.signing_name)
            .time(time)
            .settings(settings)
            .build()
            .map_err(AwsError::of(service))?
            .into();
        let (instructions, _) = sign(signable.map_err(AwsError::of(service))?, &params)
            .map_err(AwsError::of(service))?
            .into_parts();
        Ok(instructions)
    }
}

/// S3 signs the path as sent (no double encoding, no normalization) and wants the payload's
/// hash in `x-amz-content-sha256`, as the SDK configures it.
fn s3_settings(settings: &mut SigningSettings) {
    settings.percent_encoding_mode = PercentEncodingMode::Single;
    settings.uri_path_normalization_mode = UriPathNormalizationMode::Disabled;
    settings.payload_checksum_kind = PayloadChecksumKind::XAmzSha256;
}

fn var(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

/// The role's credentials, from the variables Lambda sets (and tests and local runs set).
pub(crate) fn credentials() -> Result<Credentials, AwsError> {
    match (var("AWS_ACCESS_KEY_ID"), var("AWS_SECRET_ACCESS_KEY")) {
        (Some(id), Some(secret)) => Ok(Credentials::new(
            id,
            secret,
            var("AWS_SESSION_TOKEN"),
            None,
            "environment",
        )),
        _ => Err(AwsError::new(
            "no AWS credentials (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY) in the environment",
        )),
    }
}

/// The error code and message of a failed answer: the `x-amzn-ErrorType` header, a JSON
/// `__type`/`code` with `message`, or S3's XML `<Code>`/`<Message>`.
fn error_of(headers: &http::HeaderMap, body: &[u8]) -> (String, String) {
    let header_code = headers
        .get("x-amzn-errortype")
        .and_then(|v| v.to_str().ok())
        .map(|v| v.split(':').next().unwrap_or(v).to_string());
    if let Ok(json) = serde_json::from_slice::<serde_json::Value>(body) {
        let field = |names: &[&str]| {
            names
                .iter()
                .find_map(|n| json.get(*n).and_then(|v| v.as_str()))
                .map(str::to_string)
        };
        let code = header_code
            .or_else(|| field(&["__type", "code", "Code"]))
            .map(|c| c.rsplit('#').next().unwrap_or(&c).to_string())
            .unwrap_or_else(|| "Error".into());
        let message = field(&["message", "Message"]).unwrap_or_default();
        return (code, message);
    }
    let text = String::from_utf8_lossy(body);
    let code = header_code
        .or_else(|| s3::xml_element(&text, "Code"))
        .unwrap_or_else(|| "Error".into());
    let message = s3::xml_element(&text, "Message").unwrap_or_default();
    (code, message)
}

#[cfg(test)]
mod tests;
