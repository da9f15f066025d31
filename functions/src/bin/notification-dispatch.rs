//! SQS notifications queue: sends each message on the channels the recipient allows
#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    shared::lambda::run_event(shared::notifications::dispatch::FUNCTION).await
}
