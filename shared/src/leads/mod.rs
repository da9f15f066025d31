//! Gap 9: nightly lead scoring. The score is `lead_score.rs` (pure); the set-based facts query
//! and the batch write are `store.rs`; the run is `cron.rs`, scoring every lead or only those
//! whose inputs or window moved (`run_mode.rs`).
pub mod cron;
pub mod lead_score;
pub mod run_mode;
pub mod store;

/// `lead-scoring-cron`: EventBridge Scheduler, 02:00 every night in Asia/Kolkata.
pub static LEAD_SCORING: crate::runtime::function::Function = crate::runtime::function::Function {
    name: cron::FUNCTION,
    trigger: crate::runtime::function::Trigger::Schedule {
        expression: "cron(0 2 * * ? *)",
        timezone: Some("Asia/Kolkata"),
        input: r#"{"source":"lead-scoring-cron"}"#,
        handler: |ctx, event| {
            Box::pin(
                async move { crate::runtime::function::to_json(cron::handle(ctx, event).await) },
            )
        },
    },
    needs: &[
        &crate::runtime::needs::DATABASE,
        &crate::runtime::needs::NOTIFICATIONS_QUEUE,
    ],
};
