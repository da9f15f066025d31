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

fn init_to<W>(writer: W)
where
    W: for<'w> tracing_subscriber::fmt::MakeWriter<'w> + Send + Sync + 'static,
{
    let filter = EnvFilter::try_from_env("AWS_LAMBDA_LOG_LEVEL")
        .or_else(|_| EnvFilter::try_from_default_env())
        .unwrap_or_else(|_| EnvFilter::new("info,tokio_postgres=warn"));
    let _ = tracing_subscriber::fmt()
        .json()
        .with_env_filter(filter)
        .with_current_span(true)
        .with_span_list(false)
        .with_target(false)
        .flatten_event(true)
        .with_writer(writer)
        .try_init();
}
