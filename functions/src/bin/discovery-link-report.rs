//! GET /admin/discovery-calls/link-report
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    shared::runtime::lambda::run_http(&shared::discovery::LINK_REPORT).await
}
