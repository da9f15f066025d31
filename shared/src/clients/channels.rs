//! The providers: Amazon SES v2 for email, the WhatsApp Business Cloud API for WhatsApp
//! (template messages). Each send returns the provider's message id or its error text.
use secrecy::{ExposeSecret, SecretString};
use std::time::Duration;

/// A message ready to send: the email's subject, text and HTML, and the WhatsApp template with
/// its parameters.
#[derive(Debug, Clone, PartialEq)]
pub struct Rendered {
    pub subject: String,
    pub text: String,
    pub html: String,
    pub whatsapp_template: &'static str,
    pub whatsapp_params: Vec<String>,
}

/// The providers this execution environment has.
#[derive(Default)]
pub struct Channels {
    pub email: Option<Email>,
    pub whatsapp: Option<WhatsApp>,
}

pub struct Email {
    ses: crate::clients::aws::ses::Ses,
    from: String,
}

impl Email {
    pub fn new(ses: crate::clients::aws::ses::Ses, from: &str) -> Self {
        Email {
            ses,
            from: from.to_string(),
        }
    }

    pub async fn send(&self, to: &str, r: &Rendered) -> Result<String, String> {
        let mail = crate::clients::aws::ses::Mail {
            from: &self.from,
            to,
            subject: &r.subject,
            text: &r.text,
            html: &r.html,
        };
        self.ses
            .send_email(&mail)
            .await
            .map_err(|e| short(&e.to_string()))
    }
}

pub struct WhatsApp {
    http: reqwest::Client,
    base: String,
    phone_number_id: String,
    token: SecretString,
}

impl WhatsApp {
    pub fn new(base: &str, phone_number_id: &str, token: SecretString) -> anyhow::Result<Self> {
        Ok(WhatsApp {
            http: crate::clients::tls::http_client_builder()
                .timeout(Duration::from_secs(10))
                .build()?,
            base: base.trim_end_matches('/').to_string(),
            phone_number_id: phone_number_id.to_string(),
            token,
        })
    }

    pub async fn send(&self, phone: &str, r: &Rendered) -> Result<String, String> {
        let to: String = phone.chars().filter(char::is_ascii_digit).collect();
        let params: Vec<serde_json::Value> = r
            .whatsapp_params
            .iter()
            .map(|p| serde_json::json!({ "type": "text", "text": p }))
            .collect();
        let body = serde_json::json!({
            "messaging_product": "whatsapp",
            "to": to,
            "type": "template",
            "template": {
                "name": r.whatsapp_template,
                "language": { "code": "en" },
                "components": [{ "type": "body", "parameters": params }],
            }
        });
        let resp = self
            .http
            .post(format!("{}/{}/messages", self.base, self.phone_number_id))
            .bearer_auth(self.token.expose_secret())
            .json(&body)
            .send()
            .await
            .map_err(|e| {
                if e.is_timeout() {
                    "whatsapp timed out".to_string()
                } else {
                    "whatsapp unreachable".to_string()
                }
            })?;
        let status = resp.status().as_u16();
        let v: serde_json::Value = resp.json().await.unwrap_or(serde_json::Value::Null);
        if (200..300).contains(&status) {
            return Ok(v["messages"][0]["id"]
                .as_str()
                .unwrap_or_default()
                .to_string());
        }
        Err(short(&format!(
            "whatsapp HTTP {status}: {}",
            v["error"]["message"].as_str().unwrap_or("no message")
        )))
    }
}

fn short(s: &str) -> String {
    s.chars().take(300).collect()
}
