//! `GET /payments/retry?token=` (public)
#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    shared::lambda::run_http(shared::payments::retry::FUNCTION).await
}
