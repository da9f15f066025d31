//! The SDK floor, bench-coldstart's second baseline: an empty `lambda_runtime` function that
//! builds one SQS client before its first poll exactly as the functions build theirs
//! (`shared::clients::aws::Aws::from_env`, then `Sqs::new`). Same profile and runtime flavour as the real
//! ones. Never deployed.
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    let sqs = shared::clients::aws::sqs::Sqs::new(shared::clients::aws::Aws::from_env()?);
    lambda_runtime::run(lambda_runtime::service_fn(
        move |e: lambda_runtime::LambdaEvent<serde_json::Value>| {
            let _client = &sqs;
            async move { Ok::<_, lambda_runtime::Error>(e.payload) }
        },
    ))
    .await
}
