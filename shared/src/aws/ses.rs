//! SES v2 SendEmail (REST JSON): a simple message with a text and an HTML part.
use super::{Aws, AwsError, Request, SES};

#[derive(Clone)]
pub struct Ses {
    aws: Aws,
}

/// What one email says.
pub struct Mail<'a> {
    pub from: &'a str,
    pub to: &'a str,
    pub subject: &'a str,
    pub text: &'a str,
    pub html: &'a str,
}

impl Ses {
    pub fn new(aws: Aws) -> Self {
        Ses { aws }
    }

    /// Sends the mail; returns SES's message id.
    pub async fn send_email(&self, mail: &Mail<'_>) -> Result<String, AwsError> {
        let content = |s: &str| serde_json::json!({ "Data": s, "Charset": "UTF-8" });
        let payload = serde_json::json!({
            "FromEmailAddress": mail.from,
            "Destination": { "ToAddresses": [mail.to] },
            "Content": { "Simple": {
                "Subject": content(mail.subject),
                "Body": { "Text": content(mail.text), "Html": content(mail.html) },
            }},
        });
        let answer = self
            .aws
            .send(
                &SES,
                Request {
                    method: http::Method::POST,
                    url: format!("{}/v2/email/outbound-emails", self.aws.base_url(&SES)?),
                    headers: vec![("content-type", "application/json".into())],
                    body: payload.to_string().into(),
                },
            )
            .await?;
        answer.json_str(&SES, "MessageId")
    }
}
