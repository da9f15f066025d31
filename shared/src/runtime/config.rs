//! Configuration comes from the environment only. Which variables a function reads follows from
//! its needs (`needs.rs`); this module holds their raw values and says which are missing;
//! `settings.rs` types them at cold start.
use std::collections::BTreeMap;
use std::fmt;

pub const DEFAULT_RAZORPAY_API_BASE: &str = "https://api.razorpay.com";
pub const DEFAULT_WHATSAPP_API_BASE: &str = "https://graph.facebook.com/v21.0";

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("missing environment variable(s): {}", .0.join(", "))]
    Missing(Vec<String>),
    /// Each malformed variable with what is wrong with it (never its value: it may be a secret).
    #[error("environment variable(s) invalid: {}", .0.iter().map(|(n, why)| format!("{n} {why}")).collect::<Vec<_>>().join("; "))]
    Invalid(Vec<(String, String)>),
}

/// A snapshot of the environment. `Debug` prints names only: values may be secrets.
#[derive(Clone, Default)]
pub struct Config {
    vars: BTreeMap<String, String>,
}

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config")
            .field("set", &self.vars.keys().collect::<Vec<_>>())
            .finish()
    }
}

impl Config {
    /// Reads the named variables (a function's, from its needs); empty values count as unset.
    pub fn from_env(names: &[&str]) -> Self {
        let vars = names
            .iter()
            .filter_map(|name| {
                std::env::var(name)
                    .ok()
                    .filter(|v| !v.trim().is_empty())
                    .map(|v| (name.to_string(), v))
            })
            .collect();
        Config { vars }
    }

    pub fn from_pairs<I, K, V>(pairs: I) -> Self
    where
        I: IntoIterator<Item = (K, V)>,
        K: Into<String>,
        V: Into<String>,
    {
        Config {
            vars: pairs
                .into_iter()
                .map(|(k, v)| (k.into(), v.into()))
                .collect(),
        }
    }

    pub fn with(mut self, name: &str, value: impl Into<String>) -> Self {
        self.vars.insert(name.to_string(), value.into());
        self
    }

    pub fn without(mut self, name: &str) -> Self {
        self.vars.remove(name);
        self
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.vars.get(name).map(String::as_str)
    }

    pub fn require(&self, name: &str) -> Result<&str, ConfigError> {
        self.get(name)
            .ok_or_else(|| ConfigError::Missing(vec![name.to_string()]))
    }

    /// The names in `needed` that are not set, in the order given.
    pub fn missing<'a>(&self, needed: &[&'a str]) -> Vec<&'a str> {
        needed
            .iter()
            .copied()
            .filter(|n| self.get(n).is_none())
            .collect()
    }

    pub fn razorpay_api_base(&self) -> &str {
        self.get("RAZORPAY_API_BASE")
            .unwrap_or(DEFAULT_RAZORPAY_API_BASE)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_lists_unset_names_in_order() {
        let c = Config::from_pairs([("DATABASE_URL", "postgres://x")]);
        assert_eq!(
            c.missing(&["SUPABASE_JWT_SECRET", "DATABASE_URL", "SITE_URL"]),
            vec!["SUPABASE_JWT_SECRET", "SITE_URL"]
        );
    }

    #[test]
    fn debug_never_prints_values() {
        let c = Config::from_pairs([("RAZORPAY_KEY_SECRET", "super-secret-value")]);
        let printed = format!("{c:?}");
        assert!(printed.contains("RAZORPAY_KEY_SECRET"));
        assert!(!printed.contains("super-secret-value"));
    }
}
