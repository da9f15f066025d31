//! GET /admin/payments/stats
#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    shared::lambda::run_http(shared::dashboard::handler::STATS_FUNCTION).await
}
