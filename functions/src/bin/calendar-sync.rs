//! The calendar queue consumer: moves a rescheduled session's Google Calendar event.
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    shared::runtime::lambda::run_event(&shared::scheduling::CALENDAR_SYNC).await
}
