//! GET /admin/coaches/match, GET and PUT /admin/coaches/{coachId}/specializations
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    shared::runtime::lambda::run_http(&shared::matching::COACH_MATCH).await
}
