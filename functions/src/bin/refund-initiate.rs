//! `POST /admin/refunds`
#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    shared::lambda::run_http(shared::refunds::handler::FUNCTION).await
}
