//! The settings a function reads, typed once at cold start. Each variable in the function's
//! environment (its needs' variables only: `Config::from_env`) is parsed here; a malformed value
//! stops the start with a line naming the variable and what is wrong, as a missing one does.
//! Nothing parses configuration while serving a request: handlers read these fields.
use crate::runtime::config::{Config, ConfigError};
use secrecy::SecretString;
use std::time::Duration;

pub const DEFAULT_COACH_COST_PERCENT: u8 = 50;
pub const DEFAULT_REFUND_SYNC_MIN_AGE_SECONDS: i64 = 300;
pub const DEFAULT_EXPORT_INLINE_MAX_BYTES: usize = 5_500_000;

/// Typed settings. `Debug` is not derived: some fields are secrets.
pub struct Settings {
    /// `DB_POOL_SIZE`: connections per execution environment (1).
    pub db_pool_size: usize,
    /// `COACH_COST_PERCENT`: the coach's share of a used session, 0 to 100 (50).
    pub coach_cost_percent: u8,
    /// `REFUND_SYNC_MIN_AGE_SECONDS`: how old a pending refund is before the sync looks (300).
    pub refund_sync_min_age_seconds: i64,
    /// `RESCHEDULE_NOTICE_HOURS` (24, 1 to 720), `RESCHEDULE_HORIZON_DAYS` (60, 1 to 366),
    /// `SLOT_GRID_MINUTES` (30, 1 to 720).
    pub reschedule_notice_hours: i64,
    pub reschedule_horizon_days: i64,
    pub slot_grid_minutes: u32,
    /// `EXPORTS_BUCKET` and `EXPORT_INLINE_MAX_BYTES` (5,500,000): exports past the limit go to
    /// the bucket.
    pub exports_bucket: Option<String>,
    pub export_inline_max_bytes: usize,
    /// `SITE_URL`: the parent site (an http(s) URL), for links in messages.
    pub site_url: Option<String>,
    /// `RETRY_LINK_SECRET`: the key that derives payment retry links.
    pub retry_link_secret: Option<SecretString>,
    /// `ADMIN_ALERT_EMAIL`: where admin alerts go.
    pub admin_alert_email: Option<String>,
    /// `RAZORPAY_KEY_ID`: the public key id handed to Checkout.
    pub razorpay_key_id: Option<String>,
    /// `RAZORPAY_WEBHOOK_SECRET`, `CAL_WEBHOOK_SECRET`: webhook signing secrets.
    pub razorpay_webhook_secret: Option<SecretString>,
    pub cal_webhook_secret: Option<SecretString>,
    /// `MIGRATION_DATABASE_URL`, else `DATABASE_URL`: where schema changes go.
    pub migration_database_url: Option<String>,
    /// `RAZORPAY_TIMEOUT_MS` (5000, 1 to 600,000): each Razorpay request's budget.
    pub razorpay_timeout: Duration,
    /// `SUPABASE_JWKS_TTL_SECONDS` (600, 1 to a week): how long the signing keys are kept.
    pub jwks_ttl: Duration,
}

impl Settings {
    /// Parses every variable `config` holds; all malformed ones are named in one error.
    pub fn from_config(config: &Config) -> Result<Self, ConfigError> {
        let mut bad: Vec<(String, String)> = Vec::new();
        let mut whole = |name: &str, default: i64, min: i64, max: i64| -> i64 {
            match config.get(name) {
                None => default,
                Some(v) => match v.trim().parse::<i64>() {
                    Ok(n) if (min..=max).contains(&n) => n,
                    _ => {
                        bad.push((
                            name.to_string(),
                            format!("must be a whole number from {min} to {max}"),
                        ));
                        default
                    }
                },
            }
        };
        let db_pool_size = whole("DB_POOL_SIZE", 1, 1, 1000) as usize;
        let coach_cost_percent = whole(
            "COACH_COST_PERCENT",
            i64::from(DEFAULT_COACH_COST_PERCENT),
            0,
            100,
        ) as u8;
        let refund_sync_min_age_seconds = whole(
            "REFUND_SYNC_MIN_AGE_SECONDS",
            DEFAULT_REFUND_SYNC_MIN_AGE_SECONDS,
            0,
            i64::from(u32::MAX),
        );
        let reschedule_notice_hours = whole("RESCHEDULE_NOTICE_HOURS", 24, 1, 24 * 30);
        let reschedule_horizon_days = whole("RESCHEDULE_HORIZON_DAYS", 60, 1, 366);
        let slot_grid_minutes = whole("SLOT_GRID_MINUTES", 30, 1, 720) as u32;
        let export_inline_max_bytes = whole(
            "EXPORT_INLINE_MAX_BYTES",
            DEFAULT_EXPORT_INLINE_MAX_BYTES as i64,
            1,
            i64::from(u32::MAX),
        ) as usize;
        // Read by the clients' builders at cold start.
        let razorpay_timeout_ms = whole("RAZORPAY_TIMEOUT_MS", 5000, 1, 600_000) as u64;
        let jwks_ttl_seconds = whole("SUPABASE_JWKS_TTL_SECONDS", 600, 1, 86_400 * 7) as u64;
        for name in [
            "SITE_URL",
            "RAZORPAY_API_BASE",
            "WHATSAPP_API_BASE",
            "GOOGLE_CALENDAR_API_BASE",
            "SUPABASE_URL",
        ] {
            if let Some(v) = config.get(name) {
                if let Err(why) = http_url(v) {
                    bad.push((name.to_string(), why));
                }
            }
        }
        for name in ["ADMIN_ALERT_EMAIL", "EMAIL_FROM"] {
            if let Some(v) = config.get(name) {
                if !looks_like_email(v) {
                    bad.push((name.to_string(), "must be an email address".into()));
                }
            }
        }
        if !bad.is_empty() {
            return Err(ConfigError::Invalid(bad));
        }
        let text = |name: &str| config.get(name).map(|v| v.trim().to_string());
        let secret = |name: &str| config.get(name).map(|v| SecretString::from(v.to_string()));
        Ok(Settings {
            db_pool_size,
            coach_cost_percent,
            refund_sync_min_age_seconds,
            reschedule_notice_hours,
            reschedule_horizon_days,
            slot_grid_minutes,
            exports_bucket: text("EXPORTS_BUCKET"),
            export_inline_max_bytes,
            site_url: text("SITE_URL"),
            retry_link_secret: secret("RETRY_LINK_SECRET"),
            admin_alert_email: text("ADMIN_ALERT_EMAIL"),
            razorpay_key_id: text("RAZORPAY_KEY_ID"),
            razorpay_webhook_secret: secret("RAZORPAY_WEBHOOK_SECRET"),
            cal_webhook_secret: secret("CAL_WEBHOOK_SECRET"),
            migration_database_url: config
                .get("MIGRATION_DATABASE_URL")
                .or(config.get("DATABASE_URL"))
                .map(str::to_string),
            razorpay_timeout: Duration::from_millis(razorpay_timeout_ms),
            jwks_ttl: Duration::from_secs(jwks_ttl_seconds),
        })
    }
}

/// An absolute http(s) URL with a host.
fn http_url(v: &str) -> Result<(), String> {
    match reqwest::Url::parse(v.trim()) {
        Ok(u) if matches!(u.scheme(), "http" | "https") && u.host().is_some() => Ok(()),
        Ok(_) => Err("must be an http(s) URL with a host".into()),
        Err(e) => Err(format!("is not a URL ({e})")),
    }
}

fn looks_like_email(v: &str) -> bool {
    let v = v.trim();
    // `Name <a@b.c>` is how SES takes a sender with a display name.
    let addr = match (v.find('<'), v.strip_suffix('>')) {
        (Some(i), Some(_)) => &v[i + 1..v.len() - 1],
        _ => v,
    };
    matches!(addr.split_once('@'), Some((local, domain)) if !local.is_empty() && domain.contains('.') && !domain.contains(' '))
}

#[cfg(test)]
mod tests {
    use super::*;
    use secrecy::ExposeSecret;

    fn refused(pairs: &[(&str, &str)]) -> String {
        match Settings::from_config(&Config::from_pairs(pairs.iter().copied())) {
            Ok(_) => String::new(),
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn defaults_when_nothing_is_set() -> Result<(), ConfigError> {
        let s = Settings::from_config(&Config::default())?;
        assert_eq!(s.coach_cost_percent, 50);
        assert_eq!(s.refund_sync_min_age_seconds, 300);
        assert_eq!(
            (
                s.reschedule_notice_hours,
                s.reschedule_horizon_days,
                s.slot_grid_minutes
            ),
            (24, 60, 30)
        );
        assert_eq!(s.export_inline_max_bytes, 5_500_000);
        assert_eq!(s.db_pool_size, 1);
        assert!(s.site_url.is_none() && s.retry_link_secret.is_none());
        Ok(())
    }

    #[test]
    fn values_are_typed() -> Result<(), ConfigError> {
        let s = Settings::from_config(&Config::from_pairs([
            ("COACH_COST_PERCENT", " 40 "),
            ("SLOT_GRID_MINUTES", "15"),
            ("SITE_URL", "https://yestoryd.com"),
            ("RETRY_LINK_SECRET", "k"),
            ("DATABASE_URL", "postgres://a/b"),
        ]))?;
        assert_eq!(s.coach_cost_percent, 40);
        assert_eq!(s.slot_grid_minutes, 15);
        assert_eq!(s.site_url.as_deref(), Some("https://yestoryd.com"));
        assert_eq!(
            s.retry_link_secret.as_ref().map(|k| k.expose_secret()),
            Some("k")
        );
        assert_eq!(s.migration_database_url.as_deref(), Some("postgres://a/b"));
        Ok(())
    }

    #[test]
    fn a_malformed_value_is_named_with_what_is_wrong() {
        assert_eq!(
            refused(&[("COACH_COST_PERCENT", "abc")]),
            "environment variable(s) invalid: COACH_COST_PERCENT must be a whole number from 0 to 100"
        );
        assert!(refused(&[("COACH_COST_PERCENT", "101")]).contains("COACH_COST_PERCENT"));
        assert!(refused(&[("RESCHEDULE_NOTICE_HOURS", "-1")])
            .contains("RESCHEDULE_NOTICE_HOURS must be a whole number from 1 to 720"));
        assert!(refused(&[("SITE_URL", "yestoryd.com")]).contains("SITE_URL is not a URL"));
        assert!(refused(&[("SITE_URL", "ftp://yestoryd.com")])
            .contains("SITE_URL must be an http(s) URL with a host"));
        assert!(refused(&[("ADMIN_ALERT_EMAIL", "alerts")]).contains("ADMIN_ALERT_EMAIL"));
        let two = refused(&[("SLOT_GRID_MINUTES", "0"), ("DB_POOL_SIZE", "x")]);
        assert!(
            two.contains("SLOT_GRID_MINUTES") && two.contains("DB_POOL_SIZE"),
            "{two}"
        );
        assert_eq!(
            refused(&[("EMAIL_FROM", "YesToryd <noreply@yestoryd.com>")]),
            ""
        );
    }

    #[test]
    fn a_secret_is_never_in_the_error() {
        let e = refused(&[("SITE_URL", "not a url secret-value")]);
        assert!(e.contains("SITE_URL") && !e.contains("secret-value"), "{e}");
    }
}
