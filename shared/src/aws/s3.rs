//! The S3 operations of an export: a multipart upload (create, parts, complete, abort) and a
//! presigned GET. Path-style addressing when an endpoint is configured (moto has no bucket
//! subdomains), virtual-hosted otherwise.
use super::{encode, Answer, Aws, AwsError, Request, S3};
use std::time::{Duration, SystemTime};

#[derive(Clone)]
pub struct S3Client {
    aws: Aws,
}

impl S3Client {
    pub fn new(aws: Aws) -> Self {
        S3Client { aws }
    }

    /// `https://<bucket>.s3.<region>.amazonaws.com/<key>`, or `<endpoint>/<bucket>/<key>`; the
    /// key's segments percent-encoded once.
    pub(crate) fn object_url(&self, bucket: &str, key: &str) -> Result<String, AwsError> {
        let path: Vec<String> = key.split('/').map(encode).collect();
        let path = path.join("/");
        let region = self.aws.region()?;
        Ok(match self.aws.custom_endpoint(&S3) {
            Some(e) => format!("{e}/{bucket}/{path}"),
            // A dotted bucket name does not match the endpoint's wildcard certificate as a
            // subdomain: path-style, as the SDK does.
            None if bucket.contains('.') => {
                format!("https://s3.{region}.amazonaws.com/{bucket}/{path}")
            }
            None => format!("https://{bucket}.s3.{region}.amazonaws.com/{path}"),
        })
    }

    /// One request to an object: `query` after the `?`.
    async fn call(
        &self,
        method: http::Method,
        (bucket, key, query): (&str, &str, &str),
        headers: Vec<(&'static str, String)>,
        body: Vec<u8>,
    ) -> Result<Answer, AwsError> {
        let url = format!("{}?{query}", self.object_url(bucket, key)?);
        self.aws
            .send(
                &S3,
                Request {
                    method,
                    url,
                    headers,
                    body: body.into(),
                },
            )
            .await
    }

    /// Starts a multipart upload; returns its upload id.
    pub async fn create_multipart_upload(
        &self,
        bucket: &str,
        key: &str,
        content_type: &str,
        content_disposition: &str,
    ) -> Result<String, AwsError> {
        let headers = vec![
            ("content-type", content_type.to_string()),
            ("content-disposition", content_disposition.to_string()),
        ];
        let answer = self
            .call(
                http::Method::POST,
                (bucket, key, "uploads"),
                headers,
                vec![],
            )
            .await?;
        xml_element(&String::from_utf8_lossy(&answer.body), "UploadId")
            .filter(|id| !id.is_empty())
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
        let query = format!("partNumber={number}&uploadId={}", encode(upload_id));
        let answer = self
            .call(http::Method::PUT, (bucket, key, &query), vec![], bytes)
            .await?;
        answer
            .headers
            .get("etag")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
            .ok_or_else(|| AwsError::new("S3 gave no ETag for the part"))
    }

    /// Joins the parts (`(number, etag)`, in order) into the object.
    pub async fn complete_multipart_upload(
        &self,
        bucket: &str,
        key: &str,
        upload_id: &str,
        parts: &[(u32, String)],
    ) -> Result<(), AwsError> {
        let mut xml = String::from("<CompleteMultipartUpload>");
        for (n, etag) in parts {
            xml.push_str(&format!(
                "<Part><PartNumber>{n}</PartNumber><ETag>{}</ETag></Part>",
                quick_xml::escape::escape(etag.as_str())
            ));
        }
        xml.push_str("</CompleteMultipartUpload>");
        let query = format!("uploadId={}", encode(upload_id));
        let headers = vec![("content-type", "application/xml".into())];
        let answer = self
            .call(
                http::Method::POST,
                (bucket, key, &query),
                headers,
                xml.into_bytes(),
            )
            .await?;
        // S3 may answer 200 and put the error in the body.
        let text = String::from_utf8_lossy(&answer.body);
        if let Some(code) = xml_element(&text, "Code") {
            let message = xml_element(&text, "Message").unwrap_or_default();
            return Err(AwsError::new(format!("S3 {code}: {message}")));
        }
        Ok(())
    }

    pub async fn abort_multipart_upload(
        &self,
        bucket: &str,
        key: &str,
        upload_id: &str,
    ) -> Result<(), AwsError> {
        let query = format!("uploadId={}", encode(upload_id));
        self.call(http::Method::DELETE, (bucket, key, &query), vec![], vec![])
            .await
            .map(|_| ())
    }

    /// A GET link to the object, valid `expires` (at most 7 days, S3's limit).
    pub fn presign_get(
        &self,
        bucket: &str,
        key: &str,
        expires: Duration,
    ) -> Result<String, AwsError> {
        if expires > Duration::from_secs(7 * 24 * 3600) {
            return Err(AwsError::new("S3: a presigned link lasts at most 7 days"));
        }
        self.aws.presign_get(
            &self.object_url(bucket, key)?,
            expires,
            &super::credentials()?,
            SystemTime::now(),
        )
    }
}

/// The text of the first `<name>` element, unescaped (S3's answers are small XML documents).
pub(crate) fn xml_element(xml: &str, name: &str) -> Option<String> {
    use quick_xml::events::Event;
    let mut reader = quick_xml::Reader::from_str(xml);
    let mut inside = false;
    loop {
        match reader.read_event().ok()? {
            Event::Start(e) if e.local_name().as_ref() == name.as_bytes() => inside = true,
            Event::Text(t) if inside => return t.decode().ok().map(|s| s.into_owned()),
            Event::End(_) if inside => return Some(String::new()),
            Event::Eof => return None,
            _ => {}
        }
    }
}
