//! What every Lambda binary does: JSON logs, check its variables (stop naming any that is
//! missing), build what its function needs once, then serve its trigger.
use crate::runtime::config::Config;
use crate::runtime::context::AppContext;
use crate::runtime::function::{Function, Trigger};

/// Checks the variables and builds the context. Opens no database connection and looks up no
/// AWS credentials: both happen on the first request.
pub async fn cold_start(
    function: &'static Function,
) -> Result<&'static AppContext, lambda_runtime::Error> {
    crate::runtime::telemetry::init();
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
    let settings = match crate::runtime::settings::Settings::from_config(&config) {
        Ok(settings) => settings,
        Err(e) => {
            // A malformed value stops the start as a missing one does, naming the variable.
            let msg = format!("{} cannot start: {e}", function.name);
            tracing::error!(%msg);
            return Err(msg.into());
        }
    };
    let pool_size = settings.db_pool_size;
    let ctx = AppContext::from_settings(config, settings, pool_size, function.needs).await?;
    // Lives for the whole execution environment, as the runtime's shared-resource pattern wants.
    Ok(Box::leak(Box::new(ctx)))
}

/// Serves an HTTP function. A separate entry point from `run_event`, so an event function's
/// binary does not link the HTTP stack and an HTTP function's does not link the event loop.
pub async fn run_http(function: &'static Function) -> Result<(), lambda_runtime::Error> {
    let Trigger::Http { routes, handler } = function.trigger else {
        return Err(format!("{} is not an HTTP function: use run_event", function.name).into());
    };
    let ctx = cold_start(function).await?;
    lambda_http::run(lambda_http::service_fn(move |req| async move {
        Ok::<_, std::convert::Infallible>(
            crate::runtime::function::serve_http(ctx, routes, handler, req).await,
        )
    }))
    .await
}

/// Serves a cron, queue or manual function; the event is handed over as JSON.
pub async fn run_event(function: &'static Function) -> Result<(), lambda_runtime::Error> {
    let handler = match function.trigger {
        Trigger::Schedule { handler, .. }
        | Trigger::Queue { handler, .. }
        | Trigger::Manual { handler } => handler,
        Trigger::Http { .. } => {
            return Err(format!("{} is an HTTP function: use run_http", function.name).into())
        }
    };
    let ctx = cold_start(function).await?;
    lambda_runtime::run(lambda_runtime::service_fn(
        move |event: lambda_runtime::LambdaEvent<serde_json::Value>| async move {
            let deadline = crate::runtime::function::instant_of_epoch_ms(event.context.deadline);
            crate::runtime::function::with_deadline(deadline, handler(ctx, event.payload))
                .await
                .map_err(|e| lambda_runtime::Error::from(format!("{e:#}")))
        },
    ))
    .await
}
