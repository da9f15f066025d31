//! Applies `migrations/` to `MIGRATION_DATABASE_URL` (else `DATABASE_URL`); running it twice is
//! a no-op. Invoked once per deploy (as a Lambda when `AWS_LAMBDA_RUNTIME_API` is set) and by
//! `cargo run --bin migrate` locally.
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    if std::env::var_os("AWS_LAMBDA_RUNTIME_API").is_some() {
        return shared::lambda::run_event(&shared::db::MIGRATE).await;
    }
    shared::telemetry::init();
    let config = shared::config::Config::from_env(&shared::db::MIGRATE.all_env());
    let result = shared::db::run_migrate(&config).await?;
    println!("{result}");
    Ok(())
}
