//! Applies `migrations/` to `MIGRATION_DATABASE_URL` (else `DATABASE_URL`); running it twice is
//! a no-op. Invoked once per deploy (as a Lambda when `AWS_LAMBDA_RUNTIME_API` is set) and by
//! `cargo run --bin migrate` locally. `migrate --check` (or the event `{"check": true}`)
//! compares the live schema with the columns this code needs (and the per-day payment counts with
//! the payments), prints each difference, exit 1. `migrate --repair-counts` (or the event
//! `{"repairCounts": true}`) rebuilds those counts in committed batches.
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    if std::env::var_os("AWS_LAMBDA_RUNTIME_API").is_some() {
        return shared::runtime::lambda::run_event(&shared::migrations::MIGRATE).await;
    }
    shared::runtime::telemetry::init();
    let config = shared::runtime::config::Config::from_env(&shared::migrations::MIGRATE.all_env());
    if std::env::args().any(|a| a == "--repair-counts") {
        let url = config
            .get("MIGRATION_DATABASE_URL")
            .or(config.get("DATABASE_URL"))
            .ok_or("DATABASE_URL is not set")?;
        println!("{}", shared::migrations::repair_counts_at(url).await?);
        return Ok(());
    }
    if std::env::args().any(|a| a == "--check") {
        // Prints every difference and exits 1 when there is one.
        match shared::migrations::check_schema(&config).await {
            Ok(result) => println!("{result}"),
            Err(e) => {
                eprintln!("{e}");
                std::process::exit(1);
            }
        }
        return Ok(());
    }
    let result = shared::migrations::run_migrate(&config).await?;
    println!("{result}");
    Ok(())
}
