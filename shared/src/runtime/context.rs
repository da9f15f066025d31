//! What a function builds once per cold start: configuration, the database pool and the
//! clients its needs name — nothing else. Pieces a function does not need stay empty; a route
//! that reaches for one answers 503 naming the variable (local-api), and a Lambda binary
//! refuses to start without its required variables.
use crate::clients::channels::Channels;
use crate::clients::razorpay::RazorpayClient;
use crate::runtime::auth::JwtVerifier;
use crate::runtime::config::Config;
use crate::runtime::http::ApiError;
use crate::runtime::needs::{ContextBuilder, Need};
use crate::runtime::outbox::Publisher;
use crate::runtime::settings::Settings;
use deadpool_postgres::Pool;

pub struct AppContext {
    /// The raw variables (tooling reads which are missing); handlers read `settings`.
    pub config: Config,
    /// The function's settings, typed at cold start.
    pub settings: Settings,
    pub pool: Pool,
    razorpay: Option<RazorpayClient>,
    jwt: Option<JwtVerifier>,
    publisher: Publisher,
    channels: Channels,
    s3: Option<crate::clients::aws::s3::S3Client>,
    google: Option<crate::clients::google::GoogleCalendar>,
}

impl AppContext {
    /// Builds what the given needs ask for (a Lambda binary: its function's needs; local-api and the
    /// tests: every function's, from `functions::context`). The pool connects lazily: no connection is opened
    /// before the first request.
    pub async fn from_needs(
        config: Config,
        pool_size: usize,
        needs: &[&Need],
    ) -> anyhow::Result<Self> {
        let settings = Settings::from_config(&config)?;
        Self::from_settings(config, settings, pool_size, needs).await
    }

    /// `from_needs` with the settings already typed (a Lambda's cold start types them first, to
    /// stop naming a malformed variable).
    pub async fn from_settings(
        config: Config,
        settings: Settings,
        pool_size: usize,
        needs: &[&Need],
    ) -> anyhow::Result<Self> {
        let pool = crate::clients::db::pool(config.require("DATABASE_URL")?, pool_size)?;
        let mut b = ContextBuilder::new(config, settings);
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
            settings: b.settings,
            pool,
            razorpay: b.razorpay,
            jwt: b.jwt,
            publisher: b.publisher,
            channels: b.channels,
            s3: b.s3,
            google: b.google,
        })
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

    pub fn s3(&self) -> Result<&crate::clients::aws::s3::S3Client, ApiError> {
        self.s3
            .as_ref()
            .ok_or_else(|| ApiError::missing_config(&["EXPORTS_BUCKET"]))
    }

    pub fn google(&self) -> Result<&crate::clients::google::GoogleCalendar, ApiError> {
        self.google
            .as_ref()
            .ok_or_else(|| ApiError::missing_config(&["GOOGLE_SERVICE_ACCOUNT_KEY"]))
    }

    /// Replaces the calendar client (tests point it at a local double).
    pub fn set_google(&mut self, google: crate::clients::google::GoogleCalendar) {
        self.google = Some(google);
    }

    pub fn channels(&self) -> &Channels {
        &self.channels
    }
}
