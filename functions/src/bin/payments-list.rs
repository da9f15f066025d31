//! GET /admin/payments and GET /admin/payments/export (CSV)
#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    shared::lambda::run_http(shared::dashboard::handler::LIST_FUNCTION).await
}
