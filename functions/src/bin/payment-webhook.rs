//! `POST /webhooks/razorpay`
#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    shared::lambda::run_http(shared::webhooks::handler::FUNCTION).await
}
