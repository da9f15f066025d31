//! SQS SendMessage over the AWS JSON 1.0 protocol (what the SDK speaks to SQS since 2023).
use super::{Aws, AwsError, Request, SQS};

#[derive(Clone)]
pub struct Sqs {
    aws: Aws,
}

impl Sqs {
    pub fn new(aws: Aws) -> Self {
        Sqs { aws }
    }

    /// Puts `body` on the queue; returns SQS's message id.
    pub async fn send_message(&self, queue_url: &str, body: &str) -> Result<String, AwsError> {
        let payload = serde_json::json!({ "QueueUrl": queue_url, "MessageBody": body });
        let answer = self
            .aws
            .send(
                &SQS,
                Request {
                    method: http::Method::POST,
                    url: format!("{}/", self.aws.base_url(&SQS)?),
                    headers: vec![
                        ("content-type", "application/x-amz-json-1.0".into()),
                        ("x-amz-target", "AmazonSQS.SendMessage".into()),
                    ],
                    body: payload.to_string().into(),
                },
            )
            .await?;
        answer.json_str(&SQS, "MessageId")
    }
}
