//! A function's cold start types its settings: a malformed value stops the start with a line
//! naming the variable and what is wrong, as a missing one does, and a request never sees it.
//! One test in its own binary: it sets the process's environment, which a Lambda reads once.
use shared::runtime::lambda::cold_start;

fn set(vars: &[(&str, &str)]) {
    for (k, v) in vars {
        std::env::set_var(k, v);
    }
}

#[tokio::test]
async fn a_malformed_setting_stops_the_start_naming_it() -> anyhow::Result<()> {
    set(&[
        ("DATABASE_URL", "postgres://postgres@127.0.0.1:1/none"),
        (
            "SUPABASE_JWT_SECRET",
            "cold-start-test-secret-000000000000000",
        ),
        ("RAZORPAY_KEY_ID", "rzp_test_x"),
        ("RAZORPAY_KEY_SECRET", "secret-x"),
        (
            "NOTIFICATIONS_QUEUE_URL",
            "http://127.0.0.1:1/000000000000/q",
        ),
        ("CALENDAR_QUEUE_URL", "http://127.0.0.1:1/000000000000/c"),
        ("EMAIL_FROM", "noreply@yestoryd.test"),
        ("ADMIN_ALERT_EMAIL", "alerts@yestoryd.test"),
        ("RETRY_LINK_SECRET", "cold-start-retry-secret"),
        ("AWS_REGION", "ap-south-1"),
        ("AWS_ACCESS_KEY_ID", "testing"),
        ("AWS_SECRET_ACCESS_KEY", "testing"),
    ]);
    let error = |r: Result<
        &'static shared::runtime::context::AppContext,
        lambda_runtime::Error,
    >| { r.err().map(|e| e.to_string()).unwrap_or_default() };

    // Valid values: the context is built (no connection is opened at cold start).
    set(&[("COACH_COST_PERCENT", "40")]);
    let ctx = cold_start(&shared::refunds::INITIATE)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    assert_eq!(ctx.settings.coach_cost_percent, 40);

    set(&[("COACH_COST_PERCENT", "abc")]);
    assert_eq!(
        error(cold_start(&shared::refunds::INITIATE).await),
        "refund-initiate cannot start: environment variable(s) invalid: COACH_COST_PERCENT must be a whole number from 0 to 100"
    );
    std::env::remove_var("COACH_COST_PERCENT");

    set(&[("RESCHEDULE_NOTICE_HOURS", "-1")]);
    let e = error(cold_start(&shared::scheduling::RESCHEDULE).await);
    assert!(
        e.starts_with("reschedule cannot start:")
            && e.contains("RESCHEDULE_NOTICE_HOURS must be a whole number from 1 to 720"),
        "{e}"
    );
    // Another function does not read that variable, so it starts.
    assert!(cold_start(&shared::dashboard::STATS).await.is_ok());
    std::env::remove_var("RESCHEDULE_NOTICE_HOURS");

    set(&[("SITE_URL", "yestoryd.com/no-scheme")]);
    let e = error(cold_start(&shared::notifications::DISPATCH).await);
    assert!(e.contains("SITE_URL is not a URL"), "{e}");
    assert!(!e.contains("no-scheme"), "the value is not echoed: {e}");
    Ok(())
}
