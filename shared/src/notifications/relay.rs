//! `outbox-relay` (every minute): publishes outbox rows still unpublished — SQS was down, or a
//! Lambda died between commit and publish — oldest first, bounded per run. Rows are locked with
//! SKIP LOCKED, so two relays at once never publish the same row. Rows published over a week
//! ago are deleted.
use crate::runtime::context::AppContext;
use crate::runtime::outbox::{
    delete_published_before, lock_due, record_attempt, KEEP_PUBLISHED_DAYS,
};
use serde::Serialize;

pub const FUNCTION: &str = "outbox-relay";
const BATCH: i64 = 25;
const MAX_PER_RUN: usize = 500;

#[derive(Debug, Default, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct RelayReport {
    pub published: usize,
    pub failed: usize,
    /// Published rows older than `KEEP_PUBLISHED_DAYS` removed this run.
    pub deleted: u64,
}

pub async fn run_once(ctx: &AppContext) -> anyhow::Result<RelayReport> {
    let mut report = RelayReport::default();
    while report.published + report.failed < MAX_PER_RUN {
        let mut client = ctx.pool.get().await?;
        let tx = (**client).transaction().await?;
        let rows = lock_due(&tx, BATCH).await?;
        if rows.is_empty() {
            break;
        }
        let mut consecutive_failures = 0;
        for row in &rows {
            if consecutive_failures >= 3 {
                // The queue looks down: stop hammering it; the backoff decides the next try.
                break;
            }
            let result = ctx.publisher().send(&row.topic, &row.payload).await;
            record_attempt(&tx, row.id, &result).await?;
            if result.is_ok() {
                report.published += 1;
                consecutive_failures = 0;
            } else {
                report.failed += 1;
                consecutive_failures += 1;
            }
        }
        tx.commit().await?;
        if consecutive_failures >= 3 {
            break;
        }
    }
    // Published rows are kept a week for looking into a delivery, then go: the outbox is not an
    // archive of parents' messages.
    let client = ctx.pool.get().await?;
    report.deleted = delete_published_before(&**client, KEEP_PUBLISHED_DAYS, 5000).await?;
    tracing::info!(?report, "outbox relay done");
    Ok(report)
}
