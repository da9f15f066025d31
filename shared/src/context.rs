//! What a function builds once per cold start: configuration, the database pool and the
//! clients. Pieces whose variables are missing stay empty; a route that needs one answers 503
//! naming the variable (local-api), and a Lambda binary refuses to start without them.
use crate::auth::JwtVerifier;
use crate::config::Config;
use crate::http::ApiError;
use crate::notifications::channels::{Email, WhatsApp};
use crate::notifications::dispatch::Channels;
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
    s3: aws_sdk_s3::Client,
}

impl AppContext {
    pub async fn build(config: Config, pool_size: usize) -> anyhow::Result<Self> {
        let database_url = config.require("DATABASE_URL")?;
        let pool = crate::db::pool(database_url, pool_size)?;
        let razorpay = match (
            config.get("RAZORPAY_KEY_ID"),
            config.get("RAZORPAY_KEY_SECRET"),
        ) {
            (Some(id), Some(secret)) => Some(RazorpayClient::new(
                config.razorpay_api_base(),
                id,
                SecretString::from(secret.to_string()),
                Duration::from_millis(config.u64_or("RAZORPAY_TIMEOUT_MS", 5000)?),
            )?),
            _ => None,
        };
        let jwt = config
            .get("SUPABASE_JWT_SECRET")
            .map(|s| JwtVerifier::new(SecretString::from(s.to_string())));
        let aws = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
        let publisher = Publisher::new(
            aws_sdk_sqs::Client::new(&aws),
            config.get("NOTIFICATIONS_QUEUE_URL").map(str::to_string),
            config.get("CALENDAR_QUEUE_URL").map(str::to_string),
        );
        let channels = Channels {
            email: config
                .get("EMAIL_FROM")
                .map(|from| Email::new(aws_sdk_sesv2::Client::new(&aws), from)),
            whatsapp: match (
                config.get("WHATSAPP_PHONE_NUMBER_ID"),
                config.get("WHATSAPP_TOKEN"),
            ) {
                (Some(id), Some(token)) => Some(WhatsApp::new(
                    config
                        .get("WHATSAPP_API_BASE")
                        .unwrap_or(crate::config::DEFAULT_WHATSAPP_API_BASE),
                    id,
                    SecretString::from(token.to_string()),
                )?),
                _ => None,
            },
        };
        // Local S3 doubles (moto) have no bucket subdomains: path-style when an endpoint is set.
        let local_s3 = std::env::var_os("AWS_ENDPOINT_URL").is_some()
            || std::env::var_os("AWS_ENDPOINT_URL_S3").is_some();
        let s3 = aws_sdk_s3::Client::from_conf(
            aws_sdk_s3::config::Builder::from(&aws)
                .force_path_style(local_s3)
                .build(),
        );
        Ok(AppContext {
            config,
            pool,
            razorpay,
            jwt,
            publisher,
            channels,
            s3,
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
            .ok_or_else(|| ApiError::missing_config(&["SUPABASE_JWT_SECRET"]))
    }

    pub fn publisher(&self) -> &Publisher {
        &self.publisher
    }

    /// Replaces the publisher (tests point one at a closed port to play an SQS outage).
    pub fn with_publisher(mut self, publisher: Publisher) -> Self {
        self.publisher = publisher;
        self
    }

    pub fn s3(&self) -> &aws_sdk_s3::Client {
        &self.s3
    }

    pub fn channels(&self) -> &Channels {
        &self.channels
    }
}
