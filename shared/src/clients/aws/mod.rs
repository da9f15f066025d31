//! AWS through its SDK (`aws-sdk-sqs`, `aws-sdk-sesv2`, `aws-sdk-s3`), with one configuration
//! built at cold start the light way: region and credentials from the variables Lambda sets (no
//! profile file, no instance metadata, no default provider chain), one HTTP client (rustls on
//! aws-lc) trusting only Amazon's roots (the system trust store is never read), the endpoint
//! variables local doubles use (`AWS_ENDPOINT_URL`, `AWS_ENDPOINT_URL_<SERVICE>`), the SDK's
//! standard retry mode and explicit deadlines. `sqs.rs`, `ses.rs` and `s3.rs` are the four
//! operations this backend uses, each answering our `AwsError`.
//!
//! Why the SDK and not our own signing client: it is maintained by AWS and handles credential
//! expiry, endpoint rules, FIPS and dual-stack, and each service's own error shapes; built this
//! way it costs about a millisecond at a cold start (README, "Why the SDK").
use aws_config::environment::EnvironmentVariableCredentialsProvider;
use aws_credential_types::provider::SharedCredentialsProvider;
use aws_smithy_http_client::tls::{self, rustls_provider::CryptoMode, TlsContext, TrustStore};
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::display::DisplayErrorContext;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use aws_smithy_types::retry::RetryConfig;
use aws_smithy_types::timeout::TimeoutConfig;
use aws_types::region::Region;
use aws_types::SdkConfig;
use std::time::Duration;

pub mod s3;
pub mod ses;
pub mod sqs;

/// Per attempt and in total: SQS, SES and S3 answer in milliseconds when healthy.
pub const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(3);
pub const OPERATION_TIMEOUT: Duration = Duration::from_secs(8);
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(2);
/// The SDK's standard retry mode: three attempts, exponential backoff with jitter.
pub const MAX_ATTEMPTS: u32 = 3;

/// A service as the endpoint variables name it (the SDK's names).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Service {
    Sqs,
    SesV2,
    S3,
}

impl Service {
    fn name(self) -> &'static str {
        match self {
            Service::Sqs => "SQS",
            Service::SesV2 => "SES",
            Service::S3 => "S3",
        }
    }
    fn endpoint_env(self) -> &'static str {
        match self {
            Service::Sqs => "AWS_ENDPOINT_URL_SQS",
            Service::SesV2 => "AWS_ENDPOINT_URL_SESV2",
            Service::S3 => "AWS_ENDPOINT_URL_S3",
        }
    }
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

    /// The SDK's error for one call of `service`: the service's own code, message and HTTP
    /// status when it answered, else what kept the answer away.
    fn of<E>(service: Service, e: SdkError<E, HttpResponse>) -> Self
    where
        E: ProvideErrorMetadata + std::error::Error + 'static,
    {
        let name = service.name();
        match &e {
            SdkError::ServiceError(s) => {
                let err = s.err();
                AwsError(format!(
                    "{name} {}: {} (HTTP {})",
                    err.code().unwrap_or("Error"),
                    err.message().unwrap_or_default(),
                    s.raw().status().as_u16()
                ))
            }
            SdkError::TimeoutError(_) => AwsError(format!(
                "{name}: no answer within {} s",
                OPERATION_TIMEOUT.as_secs()
            )),
            SdkError::DispatchFailure(d) => {
                let why = if d.is_timeout() {
                    "timed out"
                } else if d.is_io() {
                    "could not connect"
                } else {
                    "transport error"
                };
                AwsError(format!("{name}: {why}"))
            }
            SdkError::ResponseError(_) => AwsError(format!("{name}: the answer could not be read")),
            // Building or signing the request failed (no region, no credentials): the SDK's own
            // words, which name the missing piece and never a secret.
            _ => AwsError(format!("{name}: {}", DisplayErrorContext(&e))),
        }
    }
}

/// The SDK configuration every client shares, and the endpoint overrides: built once per cold
/// start, reading variables only (no file, no connection).
#[derive(Clone)]
pub struct Aws {
    config: SdkConfig,
    /// `AWS_ENDPOINT_URL` (moto, LocalStack): every service there, S3 path-style.
    endpoint: Option<String>,
    /// `AWS_ENDPOINT_URL_<SERVICE>`: one service elsewhere.
    service_endpoints: Vec<(Service, String)>,
}

impl Aws {
    /// From the environment Lambda gives a function: `AWS_REGION` (or `AWS_DEFAULT_REGION`),
    /// the role's `AWS_ACCESS_KEY_ID` / `AWS_SECRET_ACCESS_KEY` / `AWS_SESSION_TOKEN` (read by
    /// the SDK at the first call, and again when they expire), `AWS_ENDPOINT_URL[_<SERVICE>]`.
    pub fn from_env() -> anyhow::Result<Self> {
        Ok(Aws {
            config: sdk_config(var("AWS_REGION").or_else(|| var("AWS_DEFAULT_REGION")))?,
            endpoint: var("AWS_ENDPOINT_URL"),
            service_endpoints: [Service::Sqs, Service::SesV2, Service::S3]
                .into_iter()
                .filter_map(|s| var(s.endpoint_env()).map(|e| (s, e)))
                .collect(),
        })
    }

    /// Every service at `url` (tests play an outage with a closed port or a silent listener).
    pub fn with_endpoint(mut self, url: &str) -> Self {
        self.endpoint = Some(url.to_string());
        self.service_endpoints.clear();
        self
    }

    /// The service's endpoint override, if any (its own variable first, as the SDK reads them).
    fn endpoint(&self, service: Service) -> Option<&str> {
        self.service_endpoints
            .iter()
            .find(|(s, _)| *s == service)
            .map(|(_, e)| e.as_str())
            .or(self.endpoint.as_deref())
    }
}

/// The shared configuration: the SDK's standard retries and today's deadlines, credentials from
/// the environment, and an HTTP client whose trust store holds Amazon's roots only.
fn sdk_config(region: Option<String>) -> anyhow::Result<SdkConfig> {
    let trust = TrustStore::empty()
        .with_native_roots(false)
        .with_pem_certificate(crate::clients::tls::AWS_ROOTS_PEM);
    let context = TlsContext::builder().with_trust_store(trust).build()?;
    let http_client = aws_smithy_http_client::Builder::new()
        .tls_provider(tls::Provider::Rustls(CryptoMode::AwsLc))
        .tls_context(context)
        .build_https();
    let timeouts = TimeoutConfig::builder()
        .connect_timeout(CONNECT_TIMEOUT)
        .operation_attempt_timeout(ATTEMPT_TIMEOUT)
        .operation_timeout(OPERATION_TIMEOUT)
        .build();
    Ok(SdkConfig::builder()
        .behavior_version(aws_config::BehaviorVersion::latest())
        .region(region.map(Region::new))
        .credentials_provider(SharedCredentialsProvider::new(
            EnvironmentVariableCredentialsProvider::new(),
        ))
        .http_client(http_client)
        .timeout_config(timeouts)
        .retry_config(RetryConfig::standard().with_max_attempts(MAX_ATTEMPTS))
        .build())
}

fn var(name: &str) -> Option<String> {
    std::env::var(name)
        .ok()
        .map(|v| v.trim().trim_end_matches('/').to_string())
        .filter(|v| !v.is_empty())
}

#[cfg(test)]
mod tests;
