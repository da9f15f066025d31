//! Applies `migrations/` to `MIGRATION_DATABASE_URL` (else `DATABASE_URL`); running it twice is
//! a no-op. Invoked once per deploy (as a Lambda when `AWS_LAMBDA_RUNTIME_API` is set) and by
//! `cargo run --bin migrate` locally.
use shared::config::Config;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    shared::telemetry::init();
    let config = Config::from_env(&shared::db::MIGRATE.all_env());
    if std::env::var_os("AWS_LAMBDA_RUNTIME_API").is_some() {
        let config: &'static Config = Box::leak(Box::new(config));
        return lambda_runtime::run(lambda_runtime::service_fn(
            move |_: lambda_runtime::LambdaEvent<serde_json::Value>| async move {
                shared::db::run_migrate(config)
                    .await
                    .map_err(|e| lambda_runtime::Error::from(format!("{e:#}")))
            },
        ))
        .await;
    }
    let result = shared::db::run_migrate(&config).await?;
    println!("{result}");
    Ok(())
}
