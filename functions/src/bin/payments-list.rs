//! GET /admin/payments and /admin/payments/export
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    shared::runtime::lambda::run_http(&shared::dashboard::LIST).await
}
