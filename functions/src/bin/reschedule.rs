//! POST /parent/sessions/{sessionId}/reschedule
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    shared::runtime::lambda::run_http(&shared::scheduling::RESCHEDULE).await
}
