//! The S3 operations of an export through `aws-sdk-s3`: a multipart upload (create, parts,
//! complete, abort) and a presigned GET (the SDK's presigning). Path-style addressing when an
//! endpoint is configured (moto has no bucket subdomains); on AWS the SDK's endpoint rules decide.
use super::{Aws, AwsError, Service};
use aws_sdk_s3::presigning::PresigningConfig;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{CompletedMultipartUpload, CompletedPart};
use std::time::Duration;

#[derive(Clone)]
pub struct S3Client {
    client: aws_sdk_s3::Client,
}

fn s3(
    e: aws_sdk_s3::error::SdkError<
        impl aws_sdk_s3::error::ProvideErrorMetadata + std::error::Error + 'static,
    >,
) -> AwsError {
    AwsError::of(Service::S3, e)
}

impl S3Client {
    pub fn new(aws: Aws) -> Self {
        let mut conf = aws_sdk_s3::config::Builder::from(&aws.config);
        if let Some(e) = aws.endpoint(Service::S3) {
            conf = conf.endpoint_url(e).force_path_style(true);
        }
        S3Client {
            client: aws_sdk_s3::Client::from_conf(conf.build()),
        }
    }

    /// The SDK client itself (dev tools create buckets with it).
    pub fn sdk(&self) -> &aws_sdk_s3::Client {
        &self.client
    }

    /// Starts a multipart upload; returns its upload id.
    pub async fn create_multipart_upload(
        &self,
        bucket: &str,
        key: &str,
        content_type: &str,
        content_disposition: &str,
    ) -> Result<String, AwsError> {
        let out = self
            .client
            .create_multipart_upload()
            .bucket(bucket)
            .key(key)
            .content_type(content_type)
            .content_disposition(content_disposition)
            .send()
            .await
            .map_err(s3)?;
        out.upload_id()
            .filter(|id| !id.is_empty())
            .map(str::to_string)
            .ok_or_else(|| AwsError::new("S3 gave no upload id"))
    }

    /// Sends part `number` (from 1); returns its ETag.
    pub async fn upload_part(
        &self,
        bucket: &str,
        key: &str,
        upload_id: &str,
        number: u32,
        bytes: Vec<u8>,
    ) -> Result<String, AwsError> {
        let number = i32::try_from(number).map_err(|_| AwsError::new("S3: too many parts"))?;
        let out = self
            .client
            .upload_part()
            .bucket(bucket)
            .key(key)
            .upload_id(upload_id)
            .part_number(number)
            .body(ByteStream::from(bytes))
            .send()
            .await
            .map_err(s3)?;
        out.e_tag()
            .map(str::to_string)
            .ok_or_else(|| AwsError::new("S3 gave no ETag for the part"))
    }

    /// Joins the parts (`(number, etag)`, in order) into the object. (A 200 answer that holds an
    /// error is the SDK's to read.)
    pub async fn complete_multipart_upload(
        &self,
        bucket: &str,
        key: &str,
        upload_id: &str,
        parts: &[(u32, String)],
    ) -> Result<(), AwsError> {
        let parts: Vec<CompletedPart> = parts
            .iter()
            .map(|(n, etag)| {
                CompletedPart::builder()
                    .part_number(i32::try_from(*n).unwrap_or(i32::MAX))
                    .e_tag(etag)
                    .build()
            })
            .collect();
        self.client
            .complete_multipart_upload()
            .bucket(bucket)
            .key(key)
            .upload_id(upload_id)
            .multipart_upload(
                CompletedMultipartUpload::builder()
                    .set_parts(Some(parts))
                    .build(),
            )
            .send()
            .await
            .map_err(s3)?;
        Ok(())
    }

    pub async fn abort_multipart_upload(
        &self,
        bucket: &str,
        key: &str,
        upload_id: &str,
    ) -> Result<(), AwsError> {
        self.client
            .abort_multipart_upload()
            .bucket(bucket)
            .key(key)
            .upload_id(upload_id)
            .send()
            .await
            .map_err(s3)?;
        Ok(())
    }

    /// A GET link to the object, valid `expires` (at most 7 days, S3's limit).
    pub async fn presign_get(
        &self,
        bucket: &str,
        key: &str,
        expires: Duration,
    ) -> Result<String, AwsError> {
        let presigning =
            PresigningConfig::expires_in(expires).map_err(|e| AwsError::new(format!("S3: {e}")))?;
        let request = self
            .client
            .get_object()
            .bucket(bucket)
            .key(key)
            .presigned(presigning)
            .await
            .map_err(s3)?;
        Ok(request.uri().to_string())
    }
}
