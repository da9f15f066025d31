//! JSON logs through tracing-subscriber. Each request's span carries its request id, so every
//! line a request writes can be found by it. Money and personal data are logged as ids only.
use tracing_subscriber::EnvFilter;

/// Logs on stdout (the Lambda binaries; the runtime collects both streams).
pub fn init() {
    init_to(std::io::stdout);
}

/// Logs on stderr, so stdout carries a command's result alone (`local-api invoke … | jq`).
pub fn init_stderr() {
    init_to(std::io::stderr);
}

/// The AWS SDK's runtime writes the resolved identity (the access key id) at DEBUG and each
/// signed request (its `Authorization` and `x-amz-security-token` headers) at TRACE: whatever
/// level is asked for, the SDK's crates log at INFO at most (their warnings and errors stay).
const AWS_SDK_AT_MOST_INFO: [&str; 9] = [
    "aws_smithy_runtime=info",
    "aws_smithy_runtime_api=info",
    "aws_smithy_http_client=info",
    "aws_runtime=info",
    "aws_sigv4=info",
    "aws_config=info",
    "aws_sdk_sqs=info",
    "aws_sdk_sesv2=info",
    "aws_sdk_s3=info",
];

/// The filter for the levels asked for (`RUST_LOG` syntax), with the AWS SDK capped at INFO when
/// more than INFO is asked for (at INFO or less the SDK's crates already log no more than that;
/// adding the cap there would raise them to INFO).
pub fn filter(wanted: &str) -> EnvFilter {
    let base = EnvFilter::try_new(wanted).unwrap_or_else(|_| EnvFilter::new(DEFAULT_LEVELS));
    if base
        .max_level_hint()
        .is_some_and(|max| max <= tracing_subscriber::filter::LevelFilter::INFO)
    {
        return base;
    }
    AWS_SDK_AT_MOST_INFO
        .iter()
        .filter_map(|d| d.parse().ok())
        .fold(base, |f, d| f.add_directive(d))
}

/// What is logged when no variable asks for something readable.
const DEFAULT_LEVELS: &str = "info,tokio_postgres=warn";

fn init_to<W>(writer: W)
where
    W: for<'w> tracing_subscriber::fmt::MakeWriter<'w> + Send + Sync + 'static,
{
    // The first variable that holds a readable filter, as before: Lambda's, then RUST_LOG.
    let wanted = ["AWS_LAMBDA_LOG_LEVEL", "RUST_LOG"]
        .iter()
        .filter_map(|v| std::env::var(v).ok())
        .find(|s| !s.trim().is_empty() && EnvFilter::try_new(s).is_ok())
        .unwrap_or_else(|| DEFAULT_LEVELS.to_string());
    let _ = tracing_subscriber::fmt()
        .json()
        .with_env_filter(filter(&wanted))
        .with_current_span(true)
        .with_span_list(false)
        .with_target(false)
        .flatten_event(true)
        .with_writer(writer)
        .try_init();
}

#[cfg(test)]
mod tests {
    use super::filter;
    use tracing_subscriber::filter::LevelFilter;

    #[test]
    fn the_sdk_cap_never_raises_a_quieter_level() {
        // Asked for ERROR: nothing of the SDK's INFO may come through.
        assert_eq!(filter("error").max_level_hint(), Some(LevelFilter::ERROR));
        assert_eq!(filter("warn").max_level_hint(), Some(LevelFilter::WARN));
        // Asked for TRACE: the filter still lets TRACE through for our own code.
        assert_eq!(filter("trace").max_level_hint(), Some(LevelFilter::TRACE));
        // Unreadable: the default levels, not silence.
        assert_eq!(
            filter("=garbage=").max_level_hint(),
            Some(LevelFilter::INFO)
        );
    }
}
