//! SQS consumer of the notifications queue.
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    shared::runtime::lambda::run_event(&shared::notifications::DISPATCH).await
}
