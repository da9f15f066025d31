//! What a function can need, and the one place that says which environment variables each need
//! reads and which client it builds at cold start. A function lists its needs; its required
//! variables, the template check and the clients built for it all follow from that list.
//!
//! Each need's builder is a function pointer: a binary links the builders (and so the AWS SDK
//! crates) of the needs its own definition names, and no others: a function without an AWS need
//! links no AWS SDK crate.

use crate::clients::channels::{Channels, Email, WhatsApp};
use crate::clients::razorpay::RazorpayClient;
use crate::runtime::auth::JwtVerifier;
use crate::runtime::config::Config;
use crate::runtime::outbox::Publisher;
use crate::runtime::settings::Settings;
use secrecy::SecretString;

pub struct Need {
    pub name: &'static str,
    /// Variables without which the function does not start.
    pub env: &'static [&'static str],
    /// Variables read when set (each has a default or turns a feature on).
    pub optional: &'static [&'static str],
    /// Builds what this need gives the context (a client), at cold start.
    pub build: Option<fn(&mut ContextBuilder) -> anyhow::Result<()>>,
}

impl Need {
    /// The AWS SDK crate this need's client links, when it calls AWS (the deploy check and the
    /// cold-start benchmark hold each function to it).
    pub fn aws_sdk(&'static self) -> Option<&'static str> {
        let is = |other: &'static Need| std::ptr::eq(self, other);
        if is(&NOTIFICATIONS_QUEUE) || is(&CALENDAR_QUEUE) {
            Some("aws-sdk-sqs")
        } else if is(&EMAIL) {
            Some("aws-sdk-sesv2")
        } else if is(&EXPORTS) {
            Some("aws-sdk-s3")
        } else {
            None
        }
    }
}

/// PostgreSQL through `DATABASE_URL` (a transaction-mode pooler in production).
pub static DATABASE: Need = Need {
    name: "database",
    env: &["DATABASE_URL"],
    optional: &["DB_POOL_SIZE"],
    build: None,
};

/// Supabase JWTs on the request: the project's signing keys (`SUPABASE_URL`) and/or the legacy
/// HS256 secret; the builder stops the start when neither is set.
pub static JWT: Need = Need {
    name: "jwt",
    env: &[],
    optional: &[
        "SUPABASE_URL",
        "SUPABASE_JWT_SECRET",
        "SUPABASE_JWT_ISSUER",
        "SUPABASE_JWKS_TTL_SECONDS",
    ],
    build: Some(ContextBuilder::jwt),
};

/// The Razorpay API with the key id and secret.
pub static RAZORPAY: Need = Need {
    name: "razorpay",
    env: &["RAZORPAY_KEY_ID", "RAZORPAY_KEY_SECRET"],
    optional: &["RAZORPAY_API_BASE", "RAZORPAY_TIMEOUT_MS"],
    build: Some(ContextBuilder::razorpay),
};

/// The Razorpay API when configured (order look-ups that have a fallback).
pub static RAZORPAY_OPTIONAL: Need = Need {
    name: "razorpay (optional)",
    env: &[],
    optional: &[
        "RAZORPAY_KEY_ID",
        "RAZORPAY_KEY_SECRET",
        "RAZORPAY_API_BASE",
        "RAZORPAY_TIMEOUT_MS",
    ],
    build: Some(ContextBuilder::razorpay),
};

/// Only the public key id (handed to Razorpay Checkout).
pub static RAZORPAY_KEY_ID: Need = Need {
    name: "razorpay key id",
    env: &["RAZORPAY_KEY_ID"],
    optional: &[],
    build: None,
};

pub static RAZORPAY_WEBHOOK: Need = Need {
    name: "razorpay webhook secret",
    env: &["RAZORPAY_WEBHOOK_SECRET"],
    optional: &[],
    build: None,
};

/// The secret set on the Cal.com webhook subscription (`X-Cal-Signature-256`).
pub static CAL_WEBHOOK: Need = Need {
    name: "cal.com webhook secret",
    env: &["CAL_WEBHOOK_SECRET"],
    optional: &[],
    build: None,
};

pub static SITE_URL: Need = Need {
    name: "site url",
    env: &["SITE_URL"],
    optional: &[],
    build: None,
};

/// The key that derives payment retry links (`payments::retry_link::link_token`): the webhook stores
/// a link's hash, the dispatcher puts the link in the message.
pub static RETRY_LINKS: Need = Need {
    name: "payment retry links",
    env: &["RETRY_LINK_SECRET"],
    optional: &[],
    build: None,
};

/// Publishing outbox rows to the notifications queue (SQS).
pub static NOTIFICATIONS_QUEUE: Need = Need {
    name: "notifications queue",
    env: &["NOTIFICATIONS_QUEUE_URL"],
    optional: &["CALENDAR_QUEUE_URL"],
    build: Some(ContextBuilder::sqs),
};

/// Email through Amazon SES v2.
pub static EMAIL: Need = Need {
    name: "email (SES)",
    env: &["EMAIL_FROM"],
    optional: &[],
    build: Some(ContextBuilder::ses),
};

/// WhatsApp Business Cloud API, when configured.
pub static WHATSAPP: Need = Need {
    name: "whatsapp",
    env: &[],
    optional: &[
        "WHATSAPP_API_BASE",
        "WHATSAPP_PHONE_NUMBER_ID",
        "WHATSAPP_TOKEN",
    ],
    build: Some(ContextBuilder::whatsapp),
};

pub static ADMIN_ALERT_EMAIL: Need = Need {
    name: "admin alert email",
    env: &["ADMIN_ALERT_EMAIL"],
    optional: &[],
    build: None,
};

/// Large exports parked in S3 behind a presigned link.
pub static EXPORTS: Need = Need {
    name: "exports (S3)",
    env: &[],
    optional: &["EXPORTS_BUCKET", "EXPORT_INLINE_MAX_BYTES"],
    build: Some(ContextBuilder::s3),
};

/// The refund calculator's coach share and the sync job's tuning.
pub static REFUND_SETTINGS: Need = Need {
    name: "refund settings",
    env: &[],
    optional: &["COACH_COST_PERCENT", "REFUND_SYNC_MIN_AGE_SECONDS"],
    build: None,
};

/// A direct connection for schema changes (a transaction pooler cannot run them all).
pub static MIGRATION_DATABASE: Need = Need {
    name: "migration database",
    env: &[],
    optional: &["MIGRATION_DATABASE_URL"],
    build: None,
};

/// Publishing to the calendar queue too (a reschedule moves the coach's Google Calendar event);
/// with `NOTIFICATIONS_QUEUE` it shares the one SQS client.
pub static CALENDAR_QUEUE: Need = Need {
    name: "calendar queue",
    env: &["CALENDAR_QUEUE_URL"],
    optional: &[],
    build: Some(ContextBuilder::sqs),
};

/// The slot rule's tuning: notice before a session (hours), how far ahead (days), the grid.
pub static RESCHEDULE_SETTINGS: Need = Need {
    name: "reschedule settings",
    env: &[],
    optional: &[
        "RESCHEDULE_NOTICE_HOURS",
        "RESCHEDULE_HORIZON_DAYS",
        "SLOT_GRID_MINUTES",
    ],
    build: None,
};

/// Google Calendar as a service account (the platform's session calendar).
pub static GOOGLE_CALENDAR: Need = Need {
    name: "google calendar",
    env: &["GOOGLE_SERVICE_ACCOUNT_KEY"],
    optional: &["GOOGLE_CALENDAR_ID", "GOOGLE_CALENDAR_API_BASE"],
    build: Some(ContextBuilder::google),
};

/// Collects the pieces while the needs build them.
pub struct ContextBuilder {
    pub config: Config,
    /// The function's settings, typed before any builder runs.
    pub settings: Settings,
    pub(crate) aws: Option<crate::clients::aws::Aws>,
    pub(crate) razorpay: Option<RazorpayClient>,
    pub(crate) jwt: Option<JwtVerifier>,
    pub(crate) publisher: Publisher,
    pub(crate) channels: Channels,
    pub(crate) s3: Option<crate::clients::aws::s3::S3Client>,
    pub(crate) google: Option<crate::clients::google::GoogleCalendar>,
}

impl ContextBuilder {
    pub(crate) fn new(config: Config, settings: Settings) -> Self {
        ContextBuilder {
            settings,
            publisher: Publisher::new(
                None,
                config.get("NOTIFICATIONS_QUEUE_URL").map(str::to_string),
                config.get("CALENDAR_QUEUE_URL").map(str::to_string),
            ),
            config,
            aws: None,
            razorpay: None,
            jwt: None,
            channels: Channels::default(),
            s3: None,
            google: None,
        }
    }

    /// The one AWS HTTP client (`crate::clients::aws::Aws`) the AWS needs share, built by the first.
    fn aws(&mut self) -> anyhow::Result<crate::clients::aws::Aws> {
        match &self.aws {
            Some(aws) => Ok(aws.clone()),
            None => {
                let aws = crate::clients::aws::Aws::from_env()?;
                self.aws = Some(aws.clone());
                Ok(aws)
            }
        }
    }

    /// The project's signing keys (`SUPABASE_URL`) and/or the legacy secret
    /// (`SUPABASE_JWT_SECRET`): at least one, or the function does not start. The keys are
    /// fetched on the first request that needs them, not here.
    pub fn jwt(&mut self) -> anyhow::Result<()> {
        let secret = self.config.get("SUPABASE_JWT_SECRET").map(str::to_string);
        let url = self.config.get("SUPABASE_URL").map(str::to_string);
        anyhow::ensure!(
            secret.is_some() || url.is_some(),
            "neither SUPABASE_URL (the project's signing keys) nor SUPABASE_JWT_SECRET (the legacy secret) is set"
        );
        let ttl = self.settings.jwks_ttl;
        let keys = url
            .map(|u| {
                crate::runtime::auth::jwks::KeySet::new(&u, ttl)
                    .map_err(|e| anyhow::anyhow!("SUPABASE_URL / SUPABASE_JWKS_TTL_SECONDS: {e}"))
            })
            .transpose()?;
        self.jwt = Some(JwtVerifier::new(
            secret.map(SecretString::from),
            self.config.get("SUPABASE_JWT_ISSUER").map(str::to_string),
            keys,
        ));
        Ok(())
    }

    pub fn razorpay(&mut self) -> anyhow::Result<()> {
        if let (Some(id), Some(secret)) = (
            self.config.get("RAZORPAY_KEY_ID"),
            self.config.get("RAZORPAY_KEY_SECRET"),
        ) {
            self.razorpay = Some(RazorpayClient::new(
                self.config.razorpay_api_base(),
                id,
                SecretString::from(secret.to_string()),
                self.settings.razorpay_timeout,
            )?);
        }
        Ok(())
    }

    pub fn sqs(&mut self) -> anyhow::Result<()> {
        let client = crate::clients::aws::sqs::Sqs::new(self.aws()?);
        self.publisher.set_client(client);
        Ok(())
    }

    pub fn ses(&mut self) -> anyhow::Result<()> {
        if let Some(from) = self.config.get("EMAIL_FROM").map(str::to_string) {
            let client = crate::clients::aws::ses::Ses::new(self.aws()?);
            self.channels.email = Some(Email::new(client, &from));
        }
        Ok(())
    }

    pub fn whatsapp(&mut self) -> anyhow::Result<()> {
        if let (Some(id), Some(token)) = (
            self.config.get("WHATSAPP_PHONE_NUMBER_ID"),
            self.config.get("WHATSAPP_TOKEN"),
        ) {
            self.channels.whatsapp = Some(WhatsApp::new(
                self.config
                    .get("WHATSAPP_API_BASE")
                    .unwrap_or(crate::runtime::config::DEFAULT_WHATSAPP_API_BASE),
                id,
                SecretString::from(token.to_string()),
            )?);
        }
        Ok(())
    }

    pub fn google(&mut self) -> anyhow::Result<()> {
        if let Some(key) = self.config.get("GOOGLE_SERVICE_ACCOUNT_KEY") {
            self.google = Some(crate::clients::google::GoogleCalendar::new(
                key,
                self.config
                    .get("GOOGLE_CALENDAR_API_BASE")
                    .unwrap_or(crate::clients::google::DEFAULT_API_BASE),
                self.config.get("GOOGLE_CALENDAR_ID").unwrap_or("primary"),
            )?);
        }
        Ok(())
    }

    pub fn s3(&mut self) -> anyhow::Result<()> {
        self.s3 = Some(crate::clients::aws::s3::S3Client::new(self.aws()?));
        Ok(())
    }
}
