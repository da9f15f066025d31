//! `outbox-relay` (every minute): publishes outbox rows still unpublished — SQS was down, or a
//! Lambda died between commit and publish — oldest first, bounded per run. Rows are locked with
//! SKIP LOCKED, so two relays at once never publish the same row.
use crate::context::AppContext;
use crate::outbox::record_attempt;
use serde::Serialize;
use serde_json::Value;
use uuid::Uuid;

pub const FUNCTION: &str = "outbox-relay";
const BATCH: i64 = 25;
const MAX_PER_RUN: usize = 500;

#[derive(Debug, Default, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct RelayReport {
    pub published: usize,
    pub failed: usize,
}

pub async fn run_once(ctx: &AppContext) -> anyhow::Result<RelayReport> {
    let mut report = RelayReport::default();
    while report.published + report.failed < MAX_PER_RUN {
        let mut client = ctx.pool.get().await?;
        let tx = client.transaction().await?;
        let rows = tx
            .query(
                "SELECT id, topic, payload FROM outbox
                 WHERE published_at IS NULL AND next_attempt_at <= NOW()
                 ORDER BY created_at, id LIMIT $1 FOR UPDATE SKIP LOCKED",
                &[&BATCH],
            )
            .await?;
        if rows.is_empty() {
            break;
        }
        let mut consecutive_failures = 0;
        for row in &rows {
            if consecutive_failures >= 3 {
                // The queue looks down: stop hammering it; the backoff decides the next try.
                break;
            }
            let id: Uuid = row.get(0);
            let topic: String = row.get(1);
            let payload: Value = row.get(2);
            let result = ctx.publisher().send(&topic, &payload).await;
            record_attempt(&tx, id, &result).await?;
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
    tracing::info!(?report, "outbox relay done");
    Ok(report)
}
