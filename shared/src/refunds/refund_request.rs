//! What an admin asks for when ending an enrollment with a refund: the body of
//! `POST /admin/refunds`, each field checked as it is read.
use uuid::Uuid;

/// The body of `POST /admin/refunds`. Unknown fields are refused: a mistyped `dry_run` must
/// not turn a quote into a real refund. Each field validates on construction.
#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct RefundRequest {
    pub enrollment_id: Uuid,
    pub reason: Reason,
    #[serde(default)]
    pub notes: Option<Notes>,
    #[serde(default)]
    pub dry_run: Option<bool>,
}

/// Why the enrollment ends: 10 to 500 characters once trimmed.
#[derive(Debug, serde::Deserialize)]
#[serde(try_from = "String")]
pub struct Reason(String);

impl TryFrom<String> for Reason {
    type Error = &'static str;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        let s = s.trim();
        if (10..=500).contains(&s.chars().count()) {
            Ok(Reason(s.to_string()))
        } else {
            Err("must be 10 to 500 characters")
        }
    }
}

impl Reason {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// An admin's free-text note: at most 2000 characters.
#[derive(Debug, serde::Deserialize)]
#[serde(try_from = "String")]
pub struct Notes(String);

impl TryFrom<String> for Notes {
    type Error = &'static str;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        if s.chars().count() <= 2000 {
            Ok(Notes(s))
        } else {
            Err("must be at most 2000 characters")
        }
    }
}

impl Notes {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}
