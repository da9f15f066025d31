//! EventBridge, every minute: publishes outbox rows not yet on SQS
#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    shared::lambda::run_event(shared::notifications::relay::FUNCTION).await
}
