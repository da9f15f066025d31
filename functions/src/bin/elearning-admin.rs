//! POST /admin/elearning/modules, GET /admin/elearning/coverage, GET /elearning/modules
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    shared::runtime::lambda::run_http(&shared::elearning::ELEARNING_ADMIN).await
}
