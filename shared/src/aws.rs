//! The AWS SDK's shared configuration, made the way a Lambda cold start wants it: TLS trusts
//! Amazon's roots compiled into the binary (`crate::tls::aws_roots_pem`), credentials stay lazy (the first
//! AWS call looks them up, not the cold start), on Lambda no profile file is read, and every
//! operation has a deadline so a hung AWS endpoint never holds a request.
use aws_smithy_http_client::tls::{self, rustls_provider::CryptoMode, TlsContext, TrustStore};
use std::time::Duration;

/// Per attempt and in total: SQS, SES and S3 answer in milliseconds when healthy.
pub const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(3);
pub const OPERATION_TIMEOUT: Duration = Duration::from_secs(8);
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(2);

pub async fn sdk_config() -> aws_config::SdkConfig {
    let trust = TrustStore::empty()
        .with_native_roots(false)
        .with_pem_certificate(crate::tls::aws_roots_pem());
    let context = TlsContext::builder()
        .with_trust_store(trust)
        .build()
        .unwrap_or_default();
    let http_client = aws_smithy_http_client::Builder::new()
        .tls_provider(tls::Provider::Rustls(CryptoMode::AwsLc))
        .tls_context(context)
        .build_https();
    let timeouts = aws_config::timeout::TimeoutConfig::builder()
        .connect_timeout(CONNECT_TIMEOUT)
        .operation_attempt_timeout(ATTEMPT_TIMEOUT)
        .operation_timeout(OPERATION_TIMEOUT)
        .build();
    let mut loader = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .http_client(http_client)
        .timeout_config(timeouts);
    if std::env::var_os("AWS_LAMBDA_FUNCTION_NAME").is_some() {
        // On Lambda everything comes from the environment and there is no ~/.aws: read no
        // profile file (the loader would look for ~/.aws/config and ~/.aws/credentials), and
        // take the region and the role's credentials from the variables Lambda sets instead of
        // building the default chains (IMDS, ECS, SSO, web identity, STS clients): that
        // construction was half of the loader's cost at a cold start. The credentials provider
        // still reads the variables on the first call, not here.
        use aws_runtime::env_config::file::{EnvConfigFileKind, EnvConfigFiles};
        loader = loader.profile_files(
            EnvConfigFiles::builder()
                .with_contents(EnvConfigFileKind::Config, "")
                .build(),
        );
        loader = loader.credentials_provider(
            aws_config::environment::EnvironmentVariableCredentialsProvider::new(),
        );
        if let Some(region) = lambda_region() {
            loader = loader.region(aws_config::Region::new(region));
        }
    }
    loader.load().await
}

/// The region Lambda sets for a function (`AWS_REGION`; `AWS_DEFAULT_REGION` as the SDK reads it).
fn lambda_region() -> Option<String> {
    ["AWS_REGION", "AWS_DEFAULT_REGION"]
        .iter()
        .find_map(|k| std::env::var(k).ok().filter(|v| !v.is_empty()))
}
