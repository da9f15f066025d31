//! GET/PUT /parent/notification-preferences
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    shared::runtime::lambda::run_http(&shared::notifications::PREFERENCES).await
}
