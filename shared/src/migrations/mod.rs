//! The schema: the migration files in order, the runner the `migrate` function, local-api and
//! the tests share, and `migrate --check` (what the code expects of the live schema, `schema`).
pub mod schema;

use crate::clients::db::connect;
use anyhow::Context;

/// Migrations in order. Each file is safe to re-run; `schema_migrations` also records what ran.
pub const MIGRATIONS: &[(&str, &str)] = &[
    (
        "0001_platform_tables.sql",
        include_str!("../../../migrations/0001_platform_tables.sql"),
    ),
    (
        "0002_refunds_outbox_idempotency.sql",
        include_str!("../../../migrations/0002_refunds_outbox_idempotency.sql"),
    ),
    (
        "0003_webhooks_failed_payments.sql",
        include_str!("../../../migrations/0003_webhooks_failed_payments.sql"),
    ),
    (
        "0004_notifications.sql",
        include_str!("../../../migrations/0004_notifications.sql"),
    ),
    (
        "0005_dashboard_indexes.sql",
        include_str!("../../../migrations/0005_dashboard_indexes.sql"),
    ),
    (
        "0006_refund_attempts.sql",
        include_str!("../../../migrations/0006_refund_attempts.sql"),
    ),
    (
        "0007_outbox_retention.sql",
        include_str!("../../../migrations/0007_outbox_retention.sql"),
    ),
    (
        "0008_discovery_calls.sql",
        include_str!("../../../migrations/0008_discovery_calls.sql"),
    ),
    (
        "0009_matching_lead_scoring.sql",
        include_str!("../../../migrations/0009_matching_lead_scoring.sql"),
    ),
    (
        "0010_lead_scoring_indexes.sql",
        include_str!("../../../migrations/0010_lead_scoring_indexes.sql"),
    ),
    (
        "0011_rescheduling.sql",
        include_str!("../../../migrations/0011_rescheduling.sql"),
    ),
    (
        "0012_payouts.sql",
        include_str!("../../../migrations/0012_payouts.sql"),
    ),
    (
        "0013_elearning.sql",
        include_str!("../../../migrations/0013_elearning.sql"),
    ),
    (
        "0014_lead_score_transitions.sql",
        include_str!("../../../migrations/0014_lead_score_transitions.sql"),
    ),
    (
        "0015_payment_day_counts.sql",
        include_str!("../../../migrations/0015_payment_day_counts.sql"),
    ),
    (
        "0016_payment_day_counts_build.sql",
        include_str!("../../../migrations/0016_payment_day_counts_build.sql"),
    ),
    (
        "0017_lead_scoring_changes.sql",
        include_str!("../../../migrations/0017_lead_scoring_changes.sql"),
    ),
    (
        "0018_lead_scoring_change_indexes.sql",
        include_str!("../../../migrations/0018_lead_scoring_change_indexes.sql"),
    ),
    (
        "0019_lead_scoring_full_cursor.sql",
        include_str!("../../../migrations/0019_lead_scoring_full_cursor.sql"),
    ),
    (
        "0020_lead_tier_counts.sql",
        include_str!("../../../migrations/0020_lead_tier_counts.sql"),
    ),
    (
        "0021_payment_hour_counts.sql",
        include_str!("../../../migrations/0021_payment_hour_counts.sql"),
    ),
    (
        "0022_payment_hour_counts_build.sql",
        include_str!("../../../migrations/0022_payment_hour_counts_build.sql"),
    ),
    (
        "0023_payments_created_covering.sql",
        include_str!("../../../migrations/0023_payments_created_covering.sql"),
    ),
];

/// A migration file whose first lines carry this runs outside a transaction, one statement at
/// a time: `CREATE INDEX CONCURRENTLY` (which cannot run in a transaction) builds an index on a
/// live table without blocking its writes.
pub const NO_TRANSACTION: &str = "-- migrate: no-transaction";

pub fn is_no_transaction(sql: &str) -> bool {
    sql.lines().any(|l| l.trim() == NO_TRANSACTION)
}

/// The statements of a no-transaction file: whole-line `--` comments dropped, split on `;`.
/// Such files hold plain DDL (no `$$` bodies, no `;` inside strings); `migrate` refuses others.
pub fn statements(sql: &str) -> Vec<String> {
    let text: String = sql
        .lines()
        .filter(|l| !l.trim_start().starts_with("--"))
        .collect::<Vec<_>>()
        .join("\n");
    text.split(';')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

/// Applies every migration not yet recorded, under an advisory lock so that two deploys at once
/// do not race: each file in its own transaction, or statement by statement when it is marked
/// `NO_TRANSACTION`. Returns the names applied.
pub async fn migrate(client: &mut tokio_postgres::Client) -> anyhow::Result<Vec<String>> {
    let applied = migrate_with(client, MIGRATIONS).await?;
    // The coach-overlap constraint waits for overlapping live rows to be resolved (0011): try
    // again on every deploy.
    let overlaps: i64 = client
        .query_typed("SELECT yt_ensure_no_coach_overlap()", &[])
        .await?
        .first()
        .map(|r| r.try_get(0))
        .transpose()?
        .unwrap_or(0);
    if overlaps > 0 {
        tracing::warn!(
            overlaps,
            "active sessions of one coach overlap; the exclusion constraint waits (migrate --check lists them)"
        );
    }
    Ok(applied)
}

/// Overlapping pairs of active sessions of one coach, when the exclusion constraint is missing:
/// one line each (at most 20, then a count).
/// The per-day and per-hour payment counts (migrations 0015, 0021) against the payments
/// themselves: each (day or hour, status) whose stored count differs, and a build that never
/// completed. Empty when they agree.
async fn count_differences(client: &tokio_postgres::Client) -> anyhow::Result<Vec<String>> {
    let built = client
        .query_typed(
            "SELECT to_regclass('payment_day_counts_state') IS NOT NULL
                    AND COALESCE((SELECT complete FROM payment_day_counts_state), FALSE)",
            &[],
        )
        .await?;
    if !built
        .first()
        .map(|r| r.try_get::<_, bool>(0))
        .transpose()?
        .unwrap_or(false)
    {
        return Ok(vec![
            "payment_day_counts: not built (run migrate with {\"repairCounts\": true})".into(),
        ]);
    }
    let rows = client
        .query_typed(
            "WITH hours AS (
               SELECT date_trunc('hour', created_at AT TIME ZONE 'Asia/Kolkata') AS hour, status, count(*) AS n
               FROM payments GROUP BY 1, 2
             )
             SELECT * FROM (
               SELECT 'payment_day_counts' AS grain, COALESCE(a.day, b.day)::text AS key,
                      COALESCE(a.status, b.status) AS status, COALESCE(a.n, 0) AS actual,
                      COALESCE(b.n, 0) AS stored, count(*) OVER () AS all_keys
               -- India hours tile India days: one scan of the payments serves both grains.
               FROM (SELECT hour::date AS day, status, sum(n)::BIGINT AS n FROM hours GROUP BY 1, 2) a
               FULL JOIN (SELECT day, status, n FROM payment_day_counts WHERE n <> 0) b
                 ON a.day = b.day AND a.status = b.status
               WHERE COALESCE(a.n, 0) <> COALESCE(b.n, 0)
               UNION ALL
               SELECT 'payment_hour_counts', to_char(COALESCE(a.hour, b.hour), 'YYYY-MM-DD HH24:00'),
                      COALESCE(a.status, b.status), COALESCE(a.n, 0), COALESCE(b.n, 0), count(*) OVER ()
               FROM hours a
               FULL JOIN (SELECT hour, status, n FROM payment_hour_counts WHERE n <> 0) b
                 ON a.hour = b.hour AND a.status = b.status
               WHERE COALESCE(a.n, 0) <> COALESCE(b.n, 0)) d
             ORDER BY 1, 2, 3 LIMIT 20",
            &[],
        )
        .await?;
    rows.iter()
        .map(|r| {
            let (grain, key, status, actual, stored, all): (String, String, String, i64, i64, i64) = (
                r.try_get(0)?,
                r.try_get(1)?,
                r.try_get(2)?,
                r.try_get(3)?,
                r.try_get(4)?,
                r.try_get(5)?,
            );
            let unit = if grain == "payment_day_counts" { "days" } else { "hours" };
            Ok(format!(
                "{grain}: {key} {status}: {actual} payments, the count says {stored} ({all} such {unit}; repair with {{\"repairCounts\": true}})"
            ))
        })
        .collect()
}

/// The leads' tier counts (migration 0020) against the leads themselves: each tier whose stored
/// count differs. Empty when they agree.
async fn tier_count_differences(client: &tokio_postgres::Client) -> anyhow::Result<Vec<String>> {
    let rows = client
        .query_typed(
            "SELECT COALESCE(a.tier, b.tier), COALESCE(a.n, 0), COALESCE(b.n, 0)
             FROM (SELECT lead_status AS tier, count(*) AS n FROM children
                   WHERE status = 'lead' AND lead_status IS NOT NULL GROUP BY 1) a
             FULL JOIN (SELECT tier, n FROM lead_tier_counts WHERE n <> 0) b ON a.tier = b.tier
             WHERE COALESCE(a.n, 0) <> COALESCE(b.n, 0)
             ORDER BY 1",
            &[],
        )
        .await?;
    rows.iter()
        .map(|r| {
            let (tier, actual, stored): (String, i64, i64) =
                (r.try_get(0)?, r.try_get(1)?, r.try_get(2)?);
            Ok(format!(
                "lead_tier_counts: {tier}: {actual} leads, the count says {stored} (repair with {{\"repairCounts\": true}})"
            ))
        })
        .collect()
}

/// Rebuilds the per-day and per-hour payment counts from the payments, a month of days per committed batch,
/// and the leads' tier counts from the leads (the event `{"repairCounts": true}`,
/// `migrate --repair-counts`), then checks them.
pub async fn repair_counts_at(url: &str) -> anyhow::Result<serde_json::Value> {
    let client = connect(url).await?;
    client
        .batch_execute("CALL yt_build_payment_day_counts(31)")
        .await
        .context("rebuilding payment_day_counts")?;
    client
        .batch_execute("SELECT yt_build_lead_tier_counts()")
        .await
        .context("rebuilding lead_tier_counts")?;
    let mut differences = count_differences(&client).await?;
    differences.extend(tier_count_differences(&client).await?);
    tracing::info!(left = differences.len(), "payment and tier counts rebuilt");
    Ok(
        serde_json::json!({ "repaired": ["payment_day_counts", "payment_hour_counts", "lead_tier_counts"], "differences": differences }),
    )
}

async fn overlap_differences(client: &tokio_postgres::Client) -> anyhow::Result<Vec<String>> {
    let present = client
        .query_typed(
            "SELECT EXISTS (SELECT 1 FROM pg_constraint WHERE conname = 'scheduled_sessions_no_coach_overlap'),
                    to_regprocedure('yt_overlapping_sessions()') IS NOT NULL",
            &[],
        )
        .await?;
    let (constraint, function): (bool, bool) = match present.first() {
        Some(r) => (r.try_get(0)?, r.try_get(1)?),
        None => (true, false),
    };
    if constraint || !function {
        return Ok(vec![]);
    }
    let rows = client
        .query_typed(
            "SELECT coach_id::text, first_session::text, second_session::text, count(*) OVER ()
             FROM yt_overlapping_sessions() ORDER BY 1, 2, 3 LIMIT 20",
            &[],
        )
        .await?;
    let mut out = vec![match rows.first() {
        None => "constraint scheduled_sessions_no_coach_overlap is missing and nothing overlaps: run migrate".to_string(),
        Some(r) => format!(
            "constraint scheduled_sessions_no_coach_overlap is missing: {} overlapping pairs of active sessions of one coach",
            r.try_get::<_, i64>(3)?
        ),
    }];
    for r in &rows {
        out.push(format!(
            "coach {}: sessions {} and {} overlap",
            r.try_get::<_, String>(0)?,
            r.try_get::<_, String>(1)?,
            r.try_get::<_, String>(2)?
        ));
    }
    Ok(out)
}

/// `migrate` over a given list (tests use it with files of their own).
pub async fn migrate_with(
    client: &mut tokio_postgres::Client,
    migrations: &[(&str, &str)],
) -> anyhow::Result<Vec<String>> {
    client
        .batch_execute(
            "SELECT pg_advisory_lock(7123001);
             CREATE TABLE IF NOT EXISTS schema_migrations (
               name TEXT PRIMARY KEY,
               applied_at TIMESTAMPTZ NOT NULL DEFAULT NOW())",
        )
        .await
        .context("could not prepare schema_migrations")?;
    let result = apply_pending(client, migrations).await;
    let unlock = client
        .batch_execute("SELECT pg_advisory_unlock(7123001)")
        .await;
    let applied = result?;
    unlock.context("could not release the migration lock")?;
    Ok(applied)
}

async fn apply_pending(
    client: &mut tokio_postgres::Client,
    migrations: &[(&str, &str)],
) -> anyhow::Result<Vec<String>> {
    let mut applied = Vec::new();
    for (name, sql) in migrations {
        let done = client
            .query_typed_opt(
                "SELECT 1 FROM schema_migrations WHERE name = $1",
                &[(name, tokio_postgres::types::Type::TEXT)],
            )
            .await?
            .is_some();
        if done {
            continue;
        }
        if is_no_transaction(sql) {
            apply_without_transaction(client, name, sql).await?;
            applied.push(name.to_string());
            continue;
        }
        let tx = client.transaction().await?;
        tx.batch_execute(sql)
            .await
            .with_context(|| format!("migration {name} failed"))?;
        tx.execute_typed(
            "INSERT INTO schema_migrations (name) VALUES ($1)",
            &[(name, tokio_postgres::types::Type::TEXT)],
        )
        .await?;
        tx.commit().await?;
        applied.push(name.to_string());
    }
    Ok(applied)
}

async fn apply_without_transaction(
    client: &tokio_postgres::Client,
    name: &str,
    sql: &str,
) -> anyhow::Result<()> {
    anyhow::ensure!(
        !sql.contains("$$"),
        "migration {name} is marked no-transaction but has a $$ body: split it"
    );
    // A CONCURRENTLY build that failed (or was interrupted) leaves an INVALID index that
    // `IF NOT EXISTS` would then keep: drop this file's invalid indexes before building again.
    let invalid = client
        .query_typed(
            "SELECT c.relname FROM pg_index i
             JOIN pg_class c ON c.oid = i.indexrelid
             JOIN pg_namespace n ON n.oid = c.relnamespace
             WHERE NOT i.indisvalid AND n.nspname = current_schema()",
            &[],
        )
        .await?;
    for row in invalid {
        let index: String = row.try_get(0)?;
        if sql.contains(index.as_str()) {
            tracing::warn!(
                index,
                migration = name,
                "dropping an invalid index to build it again"
            );
            client
                .batch_execute(&format!("DROP INDEX CONCURRENTLY IF EXISTS \"{index}\""))
                .await
                .with_context(|| {
                    format!("migration {name}: could not drop invalid index {index}")
                })?;
        }
    }
    for statement in statements(sql) {
        client
            .batch_execute(&statement)
            .await
            .with_context(|| format!("migration {name} failed at: {statement}"))?;
    }
    client
        .execute_typed(
            "INSERT INTO schema_migrations (name) VALUES ($1)",
            &[(&name, tokio_postgres::types::Type::TEXT)],
        )
        .await?;
    Ok(())
}

/// The columns of the current schema (one statement).
pub async fn live_columns(
    db: &impl tokio_postgres::GenericClient,
) -> Result<Vec<crate::migrations::schema::LiveColumn>, tokio_postgres::Error> {
    db.query_typed(
        "SELECT table_name::TEXT, column_name::TEXT, data_type::TEXT, is_nullable = 'NO'
         FROM information_schema.columns WHERE table_schema = current_schema()",
        &[],
    )
    .await?
    .iter()
    .map(|r| {
        Ok(crate::migrations::schema::LiveColumn {
            table: r.try_get(0)?,
            column: r.try_get(1)?,
            data_type: r.try_get(2)?,
            not_null: r.try_get(3)?,
        })
    })
    .collect()
}

/// `migrate`: applies `migrations/`; invoked once per deploy. Its binary connects directly
/// (`MIGRATION_DATABASE_URL`, else `DATABASE_URL`) without building a pool.
pub static MIGRATE: crate::runtime::function::Function = crate::runtime::function::Function {
    name: "migrate",
    trigger: crate::runtime::function::Trigger::Manual {
        handler: |ctx, event| {
            let flag =
                |name: &str| event.get(name).and_then(serde_json::Value::as_bool) == Some(true);
            let (check, repair) = (flag("check"), flag("repairCounts"));
            Box::pin(async move {
                let url = ctx
                    .settings
                    .migration_database_url
                    .as_deref()
                    .ok_or_else(|| anyhow::anyhow!("DATABASE_URL is not set"))?;
                if repair {
                    repair_counts_at(url).await
                } else if check {
                    check_schema_at(url).await
                } else {
                    run_migrate_at(url).await
                }
            })
        },
    },
    needs: &[
        &crate::runtime::needs::DATABASE,
        &crate::runtime::needs::MIGRATION_DATABASE,
    ],
};

/// Schema work goes over `MIGRATION_DATABASE_URL` (a direct connection), else `DATABASE_URL`.
fn migration_url(
    config: &crate::runtime::config::Config,
) -> Result<&str, crate::runtime::config::ConfigError> {
    config
        .get("MIGRATION_DATABASE_URL")
        .map(Ok)
        .unwrap_or_else(|| config.require("DATABASE_URL"))
}

/// What the `migrate` function does: connect, apply, report the files applied.
pub async fn run_migrate(
    config: &crate::runtime::config::Config,
) -> anyhow::Result<serde_json::Value> {
    run_migrate_at(migration_url(config)?).await
}

/// `run_migrate` on the given database.
pub async fn run_migrate_at(url: &str) -> anyhow::Result<serde_json::Value> {
    let mut client = connect(url).await?;
    let applied = migrate(&mut client).await?;
    tracing::info!(count = applied.len(), "migrations applied");
    Ok(serde_json::json!({ "applied": applied }))
}

/// `migrate --check` (event `{"check": true}`): compares the live schema with what the code
/// needs (`crate::migrations::schema::EXPECTED`) and changes nothing. Differences are an error, listed.
pub async fn check_schema(
    config: &crate::runtime::config::Config,
) -> anyhow::Result<serde_json::Value> {
    check_schema_at(migration_url(config)?).await
}

/// `check_schema` on the given database.
pub async fn check_schema_at(url: &str) -> anyhow::Result<serde_json::Value> {
    let client = connect(url).await?;
    let live = live_columns(&client).await?;
    let mut differences =
        crate::migrations::schema::differences(crate::migrations::schema::EXPECTED, &live);
    differences.extend(overlap_differences(&client).await?);
    differences.extend(count_differences(&client).await?);
    differences.extend(tier_count_differences(&client).await?);
    if differences.is_empty() {
        return Ok(serde_json::json!({ "differences": [] }));
    }
    anyhow::bail!(
        "the schema differs from what this code needs ({}):\n{}",
        differences.len(),
        differences.join("\n")
    )
}

#[cfg(test)]
mod migration_file_tests {
    #[test]
    fn a_no_transaction_file_splits_into_its_statements_without_comments() {
        let sql = "-- migrate: no-transaction\n-- why\nCREATE INDEX CONCURRENTLY IF NOT EXISTS a ON t(x);\n\nCREATE INDEX CONCURRENTLY IF NOT EXISTS b\n  ON t(y) WHERE y > 0;\n";
        assert!(super::is_no_transaction(sql));
        assert!(!super::is_no_transaction("CREATE TABLE t (x INT);"));
        assert_eq!(
            super::statements(sql),
            vec![
                "CREATE INDEX CONCURRENTLY IF NOT EXISTS a ON t(x)",
                "CREATE INDEX CONCURRENTLY IF NOT EXISTS b\n  ON t(y) WHERE y > 0"
            ]
        );
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_migration_file_is_listed_in_order() -> std::io::Result<()> {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../migrations");
        let mut files: Vec<String> = std::fs::read_dir(dir)?
            .filter_map(|e| e.ok())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(".sql"))
            .collect();
        files.sort();
        let listed: Vec<String> = super::MIGRATIONS
            .iter()
            .map(|(n, _)| n.to_string())
            .collect();
        assert_eq!(files, listed);
        Ok(())
    }
}
