//! EventBridge, every 15 minutes: settles refunds whose answer or webhook never came.
#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    shared::lambda::run_event(shared::refunds::sync::FUNCTION).await
}
