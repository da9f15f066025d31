//! The AWS SDK's shared configuration, made the way a Lambda cold start wants it: TLS trusts
//! the Mozilla roots compiled into the binary (`crate::tls`), credentials stay lazy (the first
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
        .with_pem_certificate(crate::tls::roots_pem());
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
        // profile file (the loader would look for ~/.aws/config and ~/.aws/credentials).
        use aws_runtime::env_config::file::{EnvConfigFileKind, EnvConfigFiles};
        loader = loader.profile_files(
            EnvConfigFiles::builder()
                .with_contents(EnvConfigFileKind::Config, "")
                .build(),
        );
    }
    loader.load().await
}
