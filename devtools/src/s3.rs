//! A fresh bucket on the local S3 double (moto at `AWS_ENDPOINT_URL`) for the export's tests and
//! benchmark. Path-style addressing: moto has no bucket subdomains.
pub async fn create_bucket(name: &str) -> anyhow::Result<()> {
    let conf = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
    let s3 = aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(&conf)
            .force_path_style(true)
            .build(),
    );
    s3.create_bucket()
        .bucket(name)
        .create_bucket_configuration(
            aws_sdk_s3::types::CreateBucketConfiguration::builder()
                .location_constraint(aws_sdk_s3::types::BucketLocationConstraint::ApSouth1)
                .build(),
        )
        .send()
        .await?;
    Ok(())
}
