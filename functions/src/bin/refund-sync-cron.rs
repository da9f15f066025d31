//! Every 15 minutes: settles refunds whose answer or webhook never came.
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    shared::runtime::lambda::run_event(&shared::refunds::SYNC).await
}
