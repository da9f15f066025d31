//! Applies `migrations/` to `DATABASE_URL`; running it twice is a no-op. Invoked once per deploy
//! (as a Lambda when `AWS_LAMBDA_RUNTIME_API` is set) and by `cargo run --bin migrate` locally.
async fn apply() -> Result<serde_json::Value, lambda_runtime::Error> {
    let config = shared::config::Config::from_env();
    let url = config.require("DATABASE_URL")?;
    let mut client = shared::db::connect(url).await?;
    let applied = shared::db::migrate(&mut client).await?;
    tracing::info!(count = applied.len(), "migrations applied");
    Ok(serde_json::json!({ "applied": applied }))
}

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    shared::telemetry::init();
    if std::env::var_os("AWS_LAMBDA_RUNTIME_API").is_some() {
        return lambda_runtime::run(lambda_runtime::service_fn(
            |_: lambda_runtime::LambdaEvent<serde_json::Value>| apply(),
        ))
        .await;
    }
    let result = apply().await?;
    println!("{result}");
    Ok(())
}
