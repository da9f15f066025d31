//! The list of every function, for local-api, the tests and the template check. Each entry is
//! declared by its capability module; a Lambda binary never reads this list (it hands its own
//! definition to `lambda::run_http`/`run_event`), so it links only its own handler and clients.
use crate::runtime::function::{Function, Route};

pub static ALL: &[&Function] = &[
    &crate::refunds::INITIATE,
    &crate::refunds::RETRY,
    &crate::refunds::SYNC,
    &crate::webhooks::PAYMENT_WEBHOOK,
    &crate::payments::RETRY,
    &crate::notifications::PREFERENCES,
    &crate::notifications::RELAY,
    &crate::notifications::DISPATCH,
    &crate::dashboard::LIST,
    &crate::dashboard::STATS,
    &crate::discovery::CAL_WEBHOOK,
    &crate::discovery::LINK_REPORT,
    &crate::matching::COACH_MATCH,
    &crate::leads::LEAD_SCORING,
    &crate::scheduling::AVAILABLE_SLOTS,
    &crate::scheduling::RESCHEDULE,
    &crate::scheduling::CALENDAR_SYNC,
    &crate::payouts::PAYOUT_RECONCILE,
    &crate::elearning::ELEARNING_ADMIN,
    &crate::migrations::MIGRATE,
];

/// The context every function needs at once (local-api, the tests, the benchmarks): the needs of
/// the whole list handed to the runtime, which never reads this list itself.
pub async fn context(
    config: crate::runtime::config::Config,
    pool_size: usize,
) -> anyhow::Result<crate::runtime::context::AppContext> {
    let needs: Vec<&crate::runtime::needs::Need> =
        ALL.iter().flat_map(|f| f.needs.iter().copied()).collect();
    crate::runtime::context::AppContext::from_needs(config, pool_size, &needs).await
}

pub fn find(name: &str) -> Option<&'static Function> {
    ALL.iter().copied().find(|f| f.name == name)
}

/// Every HTTP route with the function that serves it.
pub fn routes() -> impl Iterator<Item = (&'static Route, &'static Function)> {
    ALL.iter()
        .copied()
        .flat_map(|f| f.routes().iter().map(move |r| (r, f)))
}

/// Every variable any function reads (what local-api picks up from its environment).
pub fn all_env() -> Vec<&'static str> {
    let mut out: Vec<&'static str> = Vec::new();
    for f in ALL {
        for v in f.all_env() {
            if !out.contains(&v) {
                out.push(v);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_routes_are_unique() {
        let mut names: Vec<&str> = ALL.iter().map(|f| f.name).collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), ALL.len());
        let mut seen: Vec<(&str, &str)> = routes().map(|(r, _)| (r.method, r.path)).collect();
        let n = seen.len();
        seen.sort();
        seen.dedup();
        assert_eq!(seen.len(), n, "a method and path is served twice");
    }

    #[test]
    fn every_function_needs_the_database_and_derives_its_variables() {
        for f in ALL {
            assert!(f.required_env().contains(&"DATABASE_URL"), "{}", f.name);
        }
        let refund = find("refund-initiate").map(|f| f.required_env());
        assert_eq!(
            refund,
            Some(vec![
                "DATABASE_URL",
                "RAZORPAY_KEY_ID",
                "RAZORPAY_KEY_SECRET",
                "NOTIFICATIONS_QUEUE_URL",
            ])
        );
        // Either the signing keys or the legacy secret: both read, neither required alone (the
        // builder stops the start when neither is set).
        let reads = find("refund-initiate")
            .map(|f| f.all_env())
            .unwrap_or_default();
        for v in [
            "SUPABASE_URL",
            "SUPABASE_JWT_SECRET",
            "SUPABASE_JWKS_TTL_SECONDS",
        ] {
            assert!(reads.contains(&v), "{v}");
        }
    }
}
