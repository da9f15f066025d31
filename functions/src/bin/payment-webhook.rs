//! POST /webhooks/razorpay
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    shared::runtime::lambda::run_http(&shared::webhooks::PAYMENT_WEBHOOK).await
}
