//! The S3 side of a large export: a multipart upload fed part by part while rows stream from
//! Postgres, so no more than one part is ever held in memory; aborted if anything fails, then
//! a presigned GET. (A gateway: no rule here, only S3 calls.)
use aws_sdk_s3::types::{CompletedMultipartUpload, CompletedPart};

/// S3's smallest part (all but the last): what the export buffers before sending one.
pub const PART_SIZE: usize = 5 * 1024 * 1024;

pub struct Upload<'a> {
    s3: &'a aws_sdk_s3::Client,
    bucket: String,
    key: String,
    upload_id: String,
    parts: Vec<CompletedPart>,
}

fn err(what: &str, e: impl std::fmt::Display) -> anyhow::Error {
    anyhow::anyhow!("S3 {what}: {e}")
}

impl<'a> Upload<'a> {
    pub async fn start(
        s3: &'a aws_sdk_s3::Client,
        bucket: &str,
        key: &str,
        file_name: &str,
    ) -> anyhow::Result<Upload<'a>> {
        let created = s3
            .create_multipart_upload()
            .bucket(bucket)
            .key(key)
            .content_type("text/csv; charset=utf-8")
            .content_disposition(format!("attachment; filename=\"{file_name}\""))
            .send()
            .await
            .map_err(|e| {
                err(
                    "create multipart upload",
                    aws_sdk_s3::error::DisplayErrorContext(e),
                )
            })?;
        let upload_id = created
            .upload_id()
            .ok_or_else(|| anyhow::anyhow!("S3 gave no upload id"))?
            .to_string();
        Ok(Upload {
            s3,
            bucket: bucket.to_string(),
            key: key.to_string(),
            upload_id,
            parts: Vec::new(),
        })
    }

    pub async fn put(&mut self, bytes: Vec<u8>) -> anyhow::Result<()> {
        let number = i32::try_from(self.parts.len() + 1)?;
        let done = self
            .s3
            .upload_part()
            .bucket(&self.bucket)
            .key(&self.key)
            .upload_id(&self.upload_id)
            .part_number(number)
            .body(bytes.into())
            .send()
            .await
            .map_err(|e| err("upload part", aws_sdk_s3::error::DisplayErrorContext(e)))?;
        self.parts.push(
            CompletedPart::builder()
                .part_number(number)
                .set_e_tag(done.e_tag().map(str::to_string))
                .build(),
        );
        Ok(())
    }

    pub async fn complete(self) -> anyhow::Result<()> {
        self.s3
            .complete_multipart_upload()
            .bucket(&self.bucket)
            .key(&self.key)
            .upload_id(&self.upload_id)
            .multipart_upload(
                CompletedMultipartUpload::builder()
                    .set_parts(Some(self.parts))
                    .build(),
            )
            .send()
            .await
            .map_err(|e| {
                err(
                    "complete multipart upload",
                    aws_sdk_s3::error::DisplayErrorContext(e),
                )
            })?;
        Ok(())
    }

    /// Best effort: S3 would otherwise keep (and bill) the parts sent so far.
    pub async fn abort(self) {
        if let Err(e) = self
            .s3
            .abort_multipart_upload()
            .bucket(&self.bucket)
            .key(&self.key)
            .upload_id(&self.upload_id)
            .send()
            .await
        {
            tracing::warn!(error = %aws_sdk_s3::error::DisplayErrorContext(e), "could not abort the export upload");
        }
    }
}

/// A GET link to the object, valid `expires`.
pub async fn presign_get(
    s3: &aws_sdk_s3::Client,
    bucket: &str,
    key: &str,
    expires: std::time::Duration,
) -> anyhow::Result<String> {
    let presign = aws_sdk_s3::presigning::PresigningConfig::expires_in(expires)
        .map_err(|e| err("presign config", e))?;
    let req = s3
        .get_object()
        .bucket(bucket)
        .key(key)
        .presigned(presign)
        .await
        .map_err(|e| err("presign", e))?;
    Ok(req.uri().to_string())
}
