//! SQS consumer of the notifications queue.
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    shared::lambda::run(&shared::notifications::DISPATCH).await
}
