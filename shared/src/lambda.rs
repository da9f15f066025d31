//! What every Lambda binary does: JSON logs, check its variables (stop naming any that is
//! missing), build what its function needs once, then serve its trigger.
use crate::config::Config;
use crate::context::AppContext;
use crate::function::{Function, Trigger};

/// Checks the variables and builds the context. Opens no database connection and looks up no
/// AWS credentials: both happen on the first request.
pub async fn cold_start(
    function: &'static Function,
) -> Result<&'static AppContext, lambda_runtime::Error> {
    crate::telemetry::init();
    let config = Config::from_env(&function.all_env());
    let missing = config.missing(&function.required_env());
    if !missing.is_empty() {
        let msg = format!(
            "{} cannot start: missing environment variable(s): {}",
            function.name,
            missing.join(", ")
        );
        tracing::error!(%msg);
        return Err(msg.into());
    }
    let pool_size = usize::try_from(config.u64_or("DB_POOL_SIZE", 1)?).unwrap_or(1);
    let ctx = AppContext::for_function(function, config, pool_size.max(1)).await?;
    // Lives for the whole execution environment, as the runtime's shared-resource pattern wants.
    Ok(Box::leak(Box::new(ctx)))
}

/// Serves the function's trigger until the runtime stops it.
pub async fn run(function: &'static Function) -> Result<(), lambda_runtime::Error> {
    let ctx = cold_start(function).await?;
    match function.trigger {
        Trigger::Http { handler, .. } => {
            lambda_http::run(lambda_http::service_fn(move |req| async move {
                Ok::<_, std::convert::Infallible>(handler(ctx, req).await)
            }))
            .await
        }
        Trigger::Schedule { handler, .. }
        | Trigger::Queue { handler, .. }
        | Trigger::Manual { handler } => {
            lambda_runtime::run(lambda_runtime::service_fn(
                move |event: lambda_runtime::LambdaEvent<serde_json::Value>| async move {
                    handler(ctx, event.payload)
                        .await
                        .map_err(|e| lambda_runtime::Error::from(format!("{e:#}")))
                },
            ))
            .await
        }
    }
}
