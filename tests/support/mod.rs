//! The test app: a fresh database, the local Razorpay, a moto SQS queue and the local API server
//! running the real handlers, with one helper per route so each test reads like a story.
#![allow(dead_code)]
pub mod signing_keys;
use devtools::razorpay_sim::{self, RazorpaySim};
use serde_json::Value;
use shared::clients::razorpay::RazorpayClient;
use shared::runtime::config::Config;
use shared::runtime::context::AppContext;
use std::sync::Arc;
use std::time::Duration;
use uuid::Uuid;

pub const JWT_SECRET: &str = "integration-test-jwt-secret-0123456789abcdef";
pub const WEBHOOK_SECRET: &str = "whsec-integration-test";
pub const RETRY_LINK_SECRET: &str = "retry-link-integration-test-secret";
pub const CAL_SECRET: &str = "cal-integration-secret";
pub const ADMIN_USER: &str = "11111111-1111-4111-8111-111111111111";

pub type TestResult = Result<(), Box<dyn std::error::Error + Send + Sync>>;

pub struct TestApp {
    pub base: String,
    pub db_url: String,
    pub razorpay: RazorpaySim,
    pub queue_url: String,
    pub calendar_queue_url: String,
    pub ctx: Arc<AppContext>,
    pub http: reqwest::Client,
    sqs: aws_sdk_sqs::Client,
}

pub struct Seeded {
    pub enrollment_id: Uuid,
    pub parent_id: Uuid,
    pub parent_user_id: Uuid,
    pub payment_id: String,
}

pub async fn sqs_client() -> aws_sdk_sqs::Client {
    let conf = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
    aws_sdk_sqs::Client::new(&conf)
}

impl TestApp {
    pub async fn spawn() -> Result<TestApp, Box<dyn std::error::Error + Send + Sync>> {
        Self::spawn_with(|c| c).await
    }

    pub async fn spawn_with(
        tweak: impl FnOnce(Config) -> Config,
    ) -> Result<TestApp, Box<dyn std::error::Error + Send + Sync>> {
        Self::spawn_full(tweak, None).await
    }

    /// The app with SQS unreachable (its endpoint a closed port), to play an outage.
    pub async fn spawn_sqs_down() -> Result<TestApp, Box<dyn std::error::Error + Send + Sync>> {
        Self::spawn_full(|c| c, Some("http://127.0.0.1:9".into())).await
    }

    /// The app with an SQS that accepts connections and never answers, with the AWS client's
    /// own deadlines: a hung AWS endpoint.
    pub async fn spawn_sqs_hung() -> Result<TestApp, Box<dyn std::error::Error + Send + Sync>> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let url = format!("http://{}", listener.local_addr()?);
        tokio::spawn(async move {
            let mut held = Vec::new();
            while let Ok((socket, _)) = listener.accept().await {
                held.push(socket);
            }
        });
        Self::spawn_full(|c| c, Some(url)).await
    }

    async fn spawn_full(
        tweak: impl FnOnce(Config) -> Config,
        sqs_down: Option<String>,
    ) -> Result<TestApp, Box<dyn std::error::Error + Send + Sync>> {
        let db_url = devtools::testdb::fresh_database().await?;
        let app_db_url = devtools::testdb::app_url(&db_url)?;
        let razorpay = RazorpaySim::start().await?;
        let sqs = sqs_client().await;
        let queue = sqs
            .create_queue()
            .queue_name(format!("notifications-{}", Uuid::new_v4().simple()))
            .send()
            .await?;
        let queue_url = queue.queue_url().unwrap_or_default().to_string();
        let calendar = sqs
            .create_queue()
            .queue_name(format!("calendar-{}", Uuid::new_v4().simple()))
            .send()
            .await?;
        let calendar_queue_url = calendar.queue_url().unwrap_or_default().to_string();
        let google_key = devtools::demo::dev_google_key_json("http://127.0.0.1:9/token");
        let config = tweak(Config::from_pairs([
            ("DATABASE_URL", app_db_url.as_str()),
            ("RAZORPAY_API_BASE", razorpay.base_url.as_str()),
            ("RAZORPAY_KEY_ID", razorpay_sim::KEY_ID),
            ("RAZORPAY_KEY_SECRET", razorpay_sim::KEY_SECRET),
            ("SUPABASE_JWT_SECRET", JWT_SECRET),
            ("NOTIFICATIONS_QUEUE_URL", queue_url.as_str()),
            ("REFUND_SYNC_MIN_AGE_SECONDS", "0"),
            ("RAZORPAY_WEBHOOK_SECRET", WEBHOOK_SECRET),
            ("SITE_URL", "https://yestoryd.test"),
            ("RETRY_LINK_SECRET", RETRY_LINK_SECRET),
            ("CAL_WEBHOOK_SECRET", CAL_SECRET),
            ("CALENDAR_QUEUE_URL", calendar_queue_url.as_str()),
            ("GOOGLE_SERVICE_ACCOUNT_KEY", google_key.as_str()),
            ("GOOGLE_CALENDAR_API_BASE", "http://127.0.0.1:9"),
        ]));
        let mut ctx = shared::functions::context(config.clone(), 40).await?;
        // Short timeouts and backoff so that failure tests run in well under a second each.
        ctx.set_razorpay(
            RazorpayClient::new(
                config.razorpay_api_base(),
                config.get("RAZORPAY_KEY_ID").unwrap_or_default(),
                config
                    .get("RAZORPAY_KEY_SECRET")
                    .unwrap_or_default()
                    .to_string()
                    .into(),
                Duration::from_millis(400),
            )?
            .with_retries(3, Duration::from_millis(10)),
        );
        if let Some(endpoint) = sqs_down {
            let dead = shared::clients::aws::sqs::Sqs::new(
                shared::clients::aws::Aws::from_env()?.with_endpoint(&endpoint),
            );
            ctx = ctx.with_publisher(shared::runtime::outbox::Publisher::new(
                Some(dead),
                Some(queue_url.clone()),
                None,
            ));
        }
        let ctx = Arc::new(ctx);
        let (addr, _) = devtools::server::spawn(ctx.clone(), ([127, 0, 0, 1], 0).into()).await?;
        Ok(TestApp {
            base: format!("http://{addr}"),
            db_url,
            razorpay,
            queue_url,
            calendar_queue_url,
            ctx,
            http: reqwest::Client::new(),
            sqs,
        })
    }

    /// The app with its database reached through a proxy that counts round trips on the wire
    /// (`devtools::wirecount`).
    pub async fn spawn_counted(
    ) -> Result<(TestApp, devtools::wirecount::WireCounter), Box<dyn std::error::Error + Send + Sync>>
    {
        let direct = std::env::var("TEST_DATABASE_URL")?;
        let u = url::Url::parse(&direct)?;
        let upstream = format!(
            "{}:{}",
            u.host_str().unwrap_or("127.0.0.1"),
            u.port().unwrap_or(5432)
        );
        let proxy = devtools::wirecount::WireCounter::start(upstream.parse()?).await?;
        let port = proxy.addr.port();
        let app = TestApp::spawn_with(move |c| {
            let db = c.get("DATABASE_URL").unwrap_or_default().to_string();
            let mut url = url::Url::parse(&db).unwrap_or_else(|_| u.clone());
            let _ = url.set_host(Some("127.0.0.1"));
            let _ = url.set_port(Some(port));
            c.with("DATABASE_URL", url.to_string())
        })
        .await?;
        Ok((app, proxy))
    }

    pub fn admin_token(&self) -> String {
        shared::runtime::auth::sign_token(
            JWT_SECRET,
            ADMIN_USER,
            Some("ops@yestoryd.test"),
            Some("admin"),
            3600,
        )
        .unwrap_or_default()
    }

    pub fn parent_token(&self, user_id: Uuid) -> String {
        shared::runtime::auth::sign_token(JWT_SECRET, &user_id.to_string(), None, None, 3600)
            .unwrap_or_default()
    }

    pub async fn db(
        &self,
    ) -> Result<tokio_postgres::Client, Box<dyn std::error::Error + Send + Sync>> {
        Ok(shared::clients::db::connect(&self.db_url).await?)
    }

    pub async fn count(&self, sql: &str) -> Result<i64, Box<dyn std::error::Error + Send + Sync>> {
        let db = self.db().await?;
        Ok(db.query_one(sql, &[]).await?.get(0))
    }

    /// POST /admin/refunds with a raw body and an optional bearer token.
    pub async fn post_refund_raw(
        &self,
        body: impl Into<reqwest::Body>,
        token: Option<&str>,
        key: Option<&str>,
    ) -> reqwest::Result<reqwest::Response> {
        let mut req = self
            .http
            .post(format!("{}/admin/refunds", self.base))
            .header("content-type", "application/json")
            .body(body);
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(k) = key {
            req = req.header("Idempotency-Key", k);
        }
        req.send().await
    }

    /// POST /webhooks/razorpay with the exact bytes, signed with the test secret unless a
    /// signature is given (`Some("")` sends none).
    pub async fn post_webhook(
        &self,
        body: &[u8],
        event_id: &str,
        signature: Option<&str>,
    ) -> reqwest::Result<reqwest::Response> {
        let sig = match signature {
            Some(s) => s.to_string(),
            None => shared::runtime::inbound::signature::sign(WEBHOOK_SECRET.as_bytes(), body),
        };
        let mut req = self
            .http
            .post(format!("{}/webhooks/razorpay", self.base))
            .header("content-type", "application/json")
            .header("x-razorpay-event-id", event_id)
            .body(body.to_vec());
        if !sig.is_empty() {
            req = req.header("x-razorpay-signature", sig);
        }
        req.send().await
    }

    pub async fn get_retry(&self, token: &str) -> reqwest::Result<reqwest::Response> {
        self.http
            .get(format!("{}/payments/retry", self.base))
            .query(&[("token", token)])
            .send()
            .await
    }

    /// POST /admin/refunds/{id}/retry as an admin.
    pub async fn post_refund_retry(
        &self,
        termination_id: &str,
    ) -> reqwest::Result<reqwest::Response> {
        self.http
            .post(format!(
                "{}/admin/refunds/{termination_id}/retry",
                self.base
            ))
            .bearer_auth(self.admin_token())
            .send()
            .await
    }

    pub async fn post_refund(&self, body: &Value) -> reqwest::Result<reqwest::Response> {
        self.post_refund_raw(body.to_string(), Some(&self.admin_token()), None)
            .await
    }

    /// An active enrollment of `total` sessions, `completed` of them done, paid `amount` paise
    /// captured `captured_hours_ago` hours ago; the rest of the sessions are scheduled.
    pub async fn seed_enrollment(
        &self,
        amount: i64,
        total: i32,
        completed: i32,
        captured_hours_ago: f64,
    ) -> Result<Seeded, Box<dyn std::error::Error + Send + Sync>> {
        let db = self.db().await?;
        let parent_user_id = Uuid::new_v4();
        let parent_id: Uuid = db
            .query_one(
                "INSERT INTO parents (user_id, name, email, phone) VALUES ($1, 'Meera Iyer', 'meera@example.com', '+919811111111') RETURNING id",
                &[&parent_user_id],
            )
            .await?
            .get(0);
        let child_id: Uuid = db
            .query_one(
                "INSERT INTO children (parent_id, name, age, status) VALUES ($1, 'Kabir', 7, 'enrolled') RETURNING id",
                &[&parent_id],
            )
            .await?
            .get(0);
        let enrollment_id: Uuid = db
            .query_one(
                "INSERT INTO enrollments (child_id, parent_id, status, sessions_total, parent_email, child_name)
                 VALUES ($1, $2, 'active', $3, 'meera@example.com', 'Kabir') RETURNING id",
                &[&child_id, &parent_id, &total],
            )
            .await?
            .get(0);
        let payment_id = format!("pay_{}", &Uuid::new_v4().simple().to_string()[..14]);
        db.execute(
            "INSERT INTO payments (enrollment_id, parent_id, razorpay_order_id, razorpay_payment_id, amount, status, captured_at)
             VALUES ($1, $2, $3, $4, $5, 'captured', NOW() - make_interval(secs => $6::DOUBLE PRECISION * 3600))",
            &[&enrollment_id, &parent_id, &format!("order_{}", &payment_id[4..]), &payment_id, &amount, &captured_hours_ago],
        )
        .await?;
        for n in 0..total {
            let status = if n < completed {
                "completed"
            } else {
                "scheduled"
            };
            db.execute(
                "INSERT INTO scheduled_sessions (enrollment_id, child_id, session_type, scheduled_time, status)
                 VALUES ($1, $2, 'coaching', NOW() + make_interval(days => $3), $4)",
                &[&enrollment_id, &child_id, &(n - completed), &status],
            )
            .await?;
        }
        self.razorpay.add_payment(&payment_id, amount);
        Ok(Seeded {
            enrollment_id,
            parent_id,
            parent_user_id,
            payment_id,
        })
    }

    pub async fn enrollment_status(
        &self,
        id: Uuid,
    ) -> Result<String, Box<dyn std::error::Error + Send + Sync>> {
        let db = self.db().await?;
        Ok(db
            .query_one("SELECT status FROM enrollments WHERE id = $1", &[&id])
            .await?
            .get(0))
    }

    pub async fn termination_status(
        &self,
        enrollment: Uuid,
    ) -> Result<Vec<String>, Box<dyn std::error::Error + Send + Sync>> {
        let db = self.db().await?;
        Ok(db
            .query("SELECT refund_status FROM enrollment_terminations WHERE enrollment_id = $1 ORDER BY created_at", &[&enrollment])
            .await?
            .iter()
            .map(|r| r.get(0))
            .collect())
    }

    pub async fn sync_refunds(&self) -> anyhow::Result<shared::refunds::sync::SyncReport> {
        shared::refunds::sync::run_once(&self.ctx).await
    }

    /// Drains the notifications queue until `want` messages arrived or 5 s passed.
    pub async fn queue_messages(
        &self,
        want: usize,
    ) -> Result<Vec<Value>, Box<dyn std::error::Error + Send + Sync>> {
        let mut out = Vec::new();
        let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
        while out.len() < want && tokio::time::Instant::now() < deadline {
            let resp = self
                .sqs
                .receive_message()
                .queue_url(&self.queue_url)
                .max_number_of_messages(10)
                .wait_time_seconds(1)
                .send()
                .await?;
            for m in resp.messages() {
                if let Some(body) = m.body() {
                    out.push(serde_json::from_str(body)?);
                }
                if let Some(h) = m.receipt_handle() {
                    self.sqs
                        .delete_message()
                        .queue_url(&self.queue_url)
                        .receipt_handle(h)
                        .send()
                        .await?;
                }
            }
        }
        Ok(out)
    }
}

/// One sheet saved the ways people's tools save it: LF, CRLF (RFC 4180, Excel), Excel's
/// "CSV UTF-8" (a byte order mark, CRLF) and a BOM with LF. `{break}` in a row is a line break
/// inside a quoted cell, written with the file's own line end.
pub fn sheet_variants(rows: &[&str]) -> Vec<(&'static str, String)> {
    [
        ("LF", "\n", ""),
        ("CRLF", "\r\n", ""),
        ("BOM + CRLF", "\r\n", "\u{feff}"),
        ("BOM + LF", "\n", "\u{feff}"),
    ]
    .into_iter()
    .map(|(name, ends, bom)| {
        let text = format!("{bom}{}{ends}", rows.join(ends)).replace("{break}", ends);
        (name, text)
    })
    .collect()
}
