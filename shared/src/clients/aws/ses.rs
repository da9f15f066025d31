//! SES v2 SendEmail through `aws-sdk-sesv2`: a simple message with a text and an HTML part.
use super::{Aws, AwsError, Service};
use aws_sdk_sesv2::types::{Body, Content, Destination, EmailContent, Message};

#[derive(Clone)]
pub struct Ses {
    client: aws_sdk_sesv2::Client,
}

/// What one email says.
pub struct Mail<'a> {
    pub from: &'a str,
    pub to: &'a str,
    pub subject: &'a str,
    pub text: &'a str,
    pub html: &'a str,
}

fn content(s: &str) -> Result<Content, AwsError> {
    Content::builder()
        .data(s)
        .charset("UTF-8")
        .build()
        .map_err(|e| AwsError::new(format!("SES: {e}")))
}

impl Ses {
    pub fn new(aws: Aws) -> Self {
        let mut conf = aws_sdk_sesv2::config::Builder::from(&aws.config);
        if let Some(e) = aws.endpoint(Service::SesV2) {
            conf = conf.endpoint_url(e);
        }
        Ses {
            client: aws_sdk_sesv2::Client::from_conf(conf.build()),
        }
    }

    /// Sends the mail; returns SES's message id.
    pub async fn send_email(&self, mail: &Mail<'_>) -> Result<String, AwsError> {
        let message = Message::builder()
            .subject(content(mail.subject)?)
            .body(
                Body::builder()
                    .text(content(mail.text)?)
                    .html(content(mail.html)?)
                    .build(),
            )
            .build();
        let out = self
            .client
            .send_email()
            .from_email_address(mail.from)
            .destination(Destination::builder().to_addresses(mail.to).build())
            .content(EmailContent::builder().simple(message).build())
            .send()
            .await
            .map_err(|e| AwsError::of(Service::SesV2, e))?;
        Ok(out.message_id().unwrap_or_default().to_string())
    }
}
