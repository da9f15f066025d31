//! POST /webhooks/cal
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    shared::runtime::lambda::run_http(&shared::discovery::CAL_WEBHOOK).await
}
