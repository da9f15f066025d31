//! Every minute: publishes outbox rows not yet on SQS.
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    shared::runtime::lambda::run_event(&shared::notifications::RELAY).await
}
