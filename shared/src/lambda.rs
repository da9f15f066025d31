//! What every Lambda binary does at cold start: JSON logs, check its variables (stop naming any
//! that is missing), build the context once, then serve.
use crate::config::Config;
use crate::context::AppContext;
use crate::functions::spec;

pub async fn cold_start(
    function: &'static str,
) -> Result<&'static AppContext, lambda_runtime::Error> {
    crate::telemetry::init();
    let spec = spec(function).ok_or_else(|| format!("unknown function {function}"))?;
    let config = Config::from_env();
    let missing = config.missing(spec.env);
    if !missing.is_empty() {
        let msg = format!(
            "{function} cannot start: missing environment variable(s): {}",
            missing.join(", ")
        );
        tracing::error!(%msg);
        return Err(msg.into());
    }
    let pool_size = usize::try_from(config.u64_or("DB_POOL_SIZE", 2)?).unwrap_or(2);
    let ctx = AppContext::build(config, pool_size).await?;
    // Lives for the whole execution environment, as the runtime's shared-resource pattern wants.
    Ok(Box::leak(Box::new(ctx)))
}

/// Serves an HTTP function.
pub async fn run_http(function: &'static str) -> Result<(), lambda_runtime::Error> {
    let ctx = cold_start(function).await?;
    lambda_http::run(lambda_http::service_fn(move |req| async move {
        Ok::<_, std::convert::Infallible>(crate::functions::dispatch_http(ctx, function, req).await)
    }))
    .await
}

/// Serves a cron or queue function; the event is handed over as JSON.
pub async fn run_event(function: &'static str) -> Result<(), lambda_runtime::Error> {
    let ctx = cold_start(function).await?;
    lambda_runtime::run(lambda_runtime::service_fn(
        move |event: lambda_runtime::LambdaEvent<serde_json::Value>| async move {
            crate::functions::invoke_event(ctx, function, event.payload)
                .await
                .map_err(|e| lambda_runtime::Error::from(format!("{e:#}")))
        },
    ))
    .await
}
