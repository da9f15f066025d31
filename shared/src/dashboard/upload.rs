//! The S3 side of a large export: a multipart upload fed part by part while rows stream from
//! Postgres, so no more than one part is ever held in memory; aborted if anything fails, then
//! a presigned GET. (A gateway: no rule here, only S3 calls.)
use crate::clients::aws::s3::S3Client;

/// S3's smallest part (all but the last): what the export buffers before sending one.
pub const PART_SIZE: usize = 5 * 1024 * 1024;

pub struct Upload<'a> {
    s3: &'a S3Client,
    bucket: String,
    key: String,
    upload_id: String,
    parts: Vec<(u32, String)>,
}

fn err(what: &str, e: impl std::fmt::Display) -> anyhow::Error {
    anyhow::anyhow!("S3 {what}: {e}")
}

impl<'a> Upload<'a> {
    pub async fn start(
        s3: &'a S3Client,
        bucket: &str,
        key: &str,
        file_name: &str,
    ) -> anyhow::Result<Upload<'a>> {
        let upload_id = s3
            .create_multipart_upload(
                bucket,
                key,
                "text/csv; charset=utf-8",
                &format!("attachment; filename=\"{file_name}\""),
            )
            .await
            .map_err(|e| err("create multipart upload", e))?;
        Ok(Upload {
            s3,
            bucket: bucket.to_string(),
            key: key.to_string(),
            upload_id,
            parts: Vec::new(),
        })
    }

    pub async fn put(&mut self, bytes: Vec<u8>) -> anyhow::Result<()> {
        let number = u32::try_from(self.parts.len() + 1)?;
        let etag = self
            .s3
            .upload_part(&self.bucket, &self.key, &self.upload_id, number, bytes)
            .await
            .map_err(|e| err("upload part", e))?;
        self.parts.push((number, etag));
        Ok(())
    }

    pub async fn complete(self) -> anyhow::Result<()> {
        self.s3
            .complete_multipart_upload(&self.bucket, &self.key, &self.upload_id, &self.parts)
            .await
            .map_err(|e| err("complete multipart upload", e))
    }

    /// Best effort: S3 would otherwise keep (and bill) the parts sent so far.
    pub async fn abort(self) {
        if let Err(e) = self
            .s3
            .abort_multipart_upload(&self.bucket, &self.key, &self.upload_id)
            .await
        {
            tracing::warn!(error = %e, "could not abort the export upload");
        }
    }
}

/// A GET link to the object, valid `expires`.
pub async fn presign_get(
    s3: &S3Client,
    bucket: &str,
    key: &str,
    expires: std::time::Duration,
) -> anyhow::Result<String> {
    s3.presign_get(bucket, key, expires)
        .await
        .map_err(|e| err("presign", e))
}
