//! A fresh bucket on the local S3 double (moto at `AWS_ENDPOINT_URL`) for the export's tests and
//! benchmark, through the same SDK client the functions build (path-style on an endpoint).
pub async fn create_bucket(name: &str) -> anyhow::Result<()> {
    let s3 = shared::clients::aws::s3::S3Client::new(shared::clients::aws::Aws::from_env()?);
    s3.sdk()
        .create_bucket()
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
