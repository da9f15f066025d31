//! Nightly at 02:00 Asia/Kolkata: scores every lead and sends the admin digest of new hot leads.
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    shared::runtime::lambda::run_event(&shared::leads::LEAD_SCORING).await
}
