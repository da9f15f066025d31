//! GET/PUT /parent/notification-preferences
#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    shared::lambda::run_http(shared::notifications::preferences::FUNCTION).await
}
