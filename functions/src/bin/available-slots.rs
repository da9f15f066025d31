//! GET /parent/sessions/{sessionId}/available-slots
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    shared::runtime::lambda::run_http(&shared::scheduling::AVAILABLE_SLOTS).await
}
