//! SQS SendMessage through `aws-sdk-sqs`.
use super::{Aws, AwsError, Service};

#[derive(Clone)]
pub struct Sqs {
    client: aws_sdk_sqs::Client,
}

impl Sqs {
    pub fn new(aws: Aws) -> Self {
        let mut conf = aws_sdk_sqs::config::Builder::from(&aws.config);
        if let Some(e) = aws.endpoint(Service::Sqs) {
            conf = conf.endpoint_url(e);
        }
        Sqs {
            client: aws_sdk_sqs::Client::from_conf(conf.build()),
        }
    }

    /// Puts `body` on the queue; returns SQS's message id.
    pub async fn send_message(&self, queue_url: &str, body: &str) -> Result<String, AwsError> {
        let out = self
            .client
            .send_message()
            .queue_url(queue_url)
            .message_body(body)
            .send()
            .await
            .map_err(|e| AwsError::of(Service::Sqs, e))?;
        Ok(out.message_id().unwrap_or_default().to_string())
    }
}
