//! The baseline for cold-start measurements: an empty `lambda_runtime` function, built with the
//! same profile and runtime flavour as the real ones. Never deployed.
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    lambda_runtime::run(lambda_runtime::service_fn(
        |e: lambda_runtime::LambdaEvent<serde_json::Value>| async move {
            Ok::<_, lambda_runtime::Error>(e.payload)
        },
    ))
    .await
}
