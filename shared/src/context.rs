//! What a function builds once per cold start: configuration, the database pool and the
//! clients its needs name — nothing else. Pieces a function does not need stay empty; a route
//! that reaches for one answers 503 naming the variable (local-api), and a Lambda binary
//! refuses to start without its required variables.
use crate::auth::JwtVerifier;
use crate::config::Config;
use crate::function::Function;
use crate::http::ApiError;
use crate::needs::Need;
use crate::notifications::channels::{Channels, Email, WhatsApp};
use crate::outbox::Publisher;
use crate::razorpay::RazorpayClient;
use deadpool_postgres::Pool;
use secrecy::SecretString;
use std::time::Duration;

pub struct AppContext {
    pub config: Config,
    pub pool: Pool,
    razorpay: Option<RazorpayClient>,
    jwt: Option<JwtVerifier>,
    publisher: Publisher,
    channels: Channels,
    s3: Option<crate::aws::s3::S3Client>,
    google: Option<crate::scheduling::google::GoogleCalendar>,
}

/// Collects the pieces while the needs build them.
pub struct ContextBuilder {
    pub config: Config,
    aws: Option<crate::aws::Aws>,
    razorpay: Option<RazorpayClient>,
    jwt: Option<JwtVerifier>,
    publisher: Publisher,
    channels: Channels,
    s3: Option<crate::aws::s3::S3Client>,
    google: Option<crate::scheduling::google::GoogleCalendar>,
}

impl ContextBuilder {
    fn new(config: Config) -> Self {
        ContextBuilder {
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

    /// The one AWS HTTP client (`crate::aws::Aws`) the AWS needs share, built by the first.
    fn aws(&mut self) -> anyhow::Result<crate::aws::Aws> {
        match &self.aws {
            Some(aws) => Ok(aws.clone()),
            None => {
                let aws = crate::aws::Aws::from_env()?;
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
        let ttl = self.config.u64_or("SUPABASE_JWKS_TTL_SECONDS", 600)?;
        let keys = url
            .map(|u| {
                crate::auth::jwks::KeySet::new(&u, std::time::Duration::from_secs(ttl))
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
                Duration::from_millis(self.config.u64_or("RAZORPAY_TIMEOUT_MS", 5000)?),
            )?);
        }
        Ok(())
    }

    pub fn sqs(&mut self) -> anyhow::Result<()> {
        let client = crate::aws::sqs::Sqs::new(self.aws()?);
        self.publisher.set_client(client);
        Ok(())
    }

    pub fn ses(&mut self) -> anyhow::Result<()> {
        if let Some(from) = self.config.get("EMAIL_FROM").map(str::to_string) {
            let client = crate::aws::ses::Ses::new(self.aws()?);
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
                    .unwrap_or(crate::config::DEFAULT_WHATSAPP_API_BASE),
                id,
                SecretString::from(token.to_string()),
            )?);
        }
        Ok(())
    }

    pub fn google(&mut self) -> anyhow::Result<()> {
        if let Some(key) = self.config.get("GOOGLE_SERVICE_ACCOUNT_KEY") {
            self.google = Some(crate::scheduling::google::GoogleCalendar::new(
                key,
                self.config
                    .get("GOOGLE_CALENDAR_API_BASE")
                    .unwrap_or(crate::scheduling::google::DEFAULT_API_BASE),
                self.config.get("GOOGLE_CALENDAR_ID").unwrap_or("primary"),
            )?);
        }
        Ok(())
    }

    pub fn s3(&mut self) -> anyhow::Result<()> {
        self.s3 = Some(crate::aws::s3::S3Client::new(self.aws()?));
        Ok(())
    }
}

impl AppContext {
    /// Builds what the given needs ask for. The pool connects lazily: no connection is opened
    /// before the first request.
    pub async fn from_needs(
        config: Config,
        pool_size: usize,
        needs: &[&Need],
    ) -> anyhow::Result<Self> {
        let pool = crate::db::pool(config.require("DATABASE_URL")?, pool_size)?;
        let mut b = ContextBuilder::new(config);
        let mut built: Vec<usize> = Vec::new();
        for need in needs.iter().copied() {
            if let Some(build) = need.build {
                // Two needs may share a builder (razorpay and its optional form): build once.
                let key = build as usize;
                if !built.contains(&key) {
                    build(&mut b)?;
                    built.push(key);
                }
            }
        }
        Ok(AppContext {
            config: b.config,
            pool,
            razorpay: b.razorpay,
            jwt: b.jwt,
            publisher: b.publisher,
            channels: b.channels,
            s3: b.s3,
            google: b.google,
        })
    }

    /// What one function needs (a Lambda binary's cold start).
    pub async fn for_function(
        function: &Function,
        config: Config,
        pool_size: usize,
    ) -> anyhow::Result<Self> {
        Self::from_needs(config, pool_size, function.needs).await
    }

    /// Everything every function needs (local-api, tests, benchmarks).
    pub async fn build(config: Config, pool_size: usize) -> anyhow::Result<Self> {
        let needs: Vec<&Need> = crate::functions::ALL
            .iter()
            .flat_map(|f| f.needs.iter().copied())
            .collect();
        Self::from_needs(config, pool_size, &needs).await
    }

    /// Replaces the Razorpay client (tests shorten its retry backoff).
    pub fn set_razorpay(&mut self, client: RazorpayClient) {
        self.razorpay = Some(client);
    }

    pub fn razorpay(&self) -> Result<&RazorpayClient, ApiError> {
        self.razorpay
            .as_ref()
            .ok_or_else(|| ApiError::missing_config(&["RAZORPAY_KEY_ID", "RAZORPAY_KEY_SECRET"]))
    }

    pub fn jwt(&self) -> Result<&JwtVerifier, ApiError> {
        self.jwt
            .as_ref()
            .ok_or_else(|| ApiError::missing_config(&["SUPABASE_URL", "SUPABASE_JWT_SECRET"]))
    }

    pub fn publisher(&self) -> &Publisher {
        &self.publisher
    }

    /// Replaces the publisher (tests point one at a closed port to play an SQS outage).
    pub fn with_publisher(mut self, publisher: Publisher) -> Self {
        self.publisher = publisher;
        self
    }

    pub fn s3(&self) -> Result<&crate::aws::s3::S3Client, ApiError> {
        self.s3
            .as_ref()
            .ok_or_else(|| ApiError::missing_config(&["EXPORTS_BUCKET"]))
    }

    pub fn google(&self) -> Result<&crate::scheduling::google::GoogleCalendar, ApiError> {
        self.google
            .as_ref()
            .ok_or_else(|| ApiError::missing_config(&["GOOGLE_SERVICE_ACCOUNT_KEY"]))
    }

    /// Replaces the calendar client (tests point it at a local double).
    pub fn set_google(&mut self, google: crate::scheduling::google::GoogleCalendar) {
        self.google = Some(google);
    }

    pub fn channels(&self) -> &Channels {
        &self.channels
    }
}
