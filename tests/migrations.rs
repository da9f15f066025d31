//! The migrate runner on a real database: applying twice is a no-op, and the invariants the
//! design puts in the database hold there.
use tokio_postgres::Client;

type TestResult = Result<(), Box<dyn std::error::Error + Send + Sync>>;

async fn fresh() -> Result<Client, Box<dyn std::error::Error + Send + Sync>> {
    let url = devtools::testdb::fresh_database().await?;
    Ok(shared::clients::db::connect(&url).await?)
}

#[tokio::test]
async fn migrating_twice_is_a_no_op() -> TestResult {
    let mut c = fresh().await?;
    // The template is already migrated: nothing left to apply, and again nothing.
    assert!(shared::migrations::migrate(&mut c).await?.is_empty());
    // Re-running every file by hand is safe too (IF NOT EXISTS forms).
    for (name, sql) in shared::migrations::MIGRATIONS {
        if shared::migrations::is_no_transaction(sql) {
            for statement in shared::migrations::statements(sql) {
                c.batch_execute(&statement)
                    .await
                    .map_err(|e| format!("{name}: {e}"))?;
            }
        } else {
            c.batch_execute(sql)
                .await
                .map_err(|e| format!("{name}: {e}"))?;
        }
    }
    let n: i64 = c
        .query_one("SELECT COUNT(*) FROM schema_migrations", &[])
        .await?
        .get(0);
    assert_eq!(n as usize, shared::migrations::MIGRATIONS.len());
    Ok(())
}

#[tokio::test]
async fn one_active_termination_per_enrollment_and_parts_must_sum() -> TestResult {
    let c = fresh().await?;
    let e: uuid::Uuid = c
        .query_one(
            "INSERT INTO enrollments (status, sessions_total) VALUES ('active', 8) RETURNING id",
            &[],
        )
        .await?
        .get(0);
    let insert = "INSERT INTO enrollment_terminations (enrollment_id, terminated_by, termination_reason,
        sessions_total, sessions_completed, sessions_remaining, original_amount, refund_amount,
        coach_settlement_amount, platform_retention, razorpay_payment_id, created_by, refund_status)
        VALUES ($1, 'admin', 'reason long enough', 8, 3, 5, 24000, $2, 4500, 4500, 'pay_x', 'ops', $3)";
    c.execute(insert, &[&e, &15000i64, &"failed"]).await?;
    c.execute(insert, &[&e, &15000i64, &"pending"]).await?;
    let second = c.execute(insert, &[&e, &15000i64, &"processing"]).await;
    let err = second.err().and_then(|e| {
        e.as_db_error()
            .and_then(|d| d.constraint().map(str::to_string))
    });
    assert_eq!(err.as_deref(), Some("uq_terminations_one_active"));
    let bad_sum = c.execute(insert, &[&e, &15001i64, &"failed"]).await;
    let err = bad_sum.err().and_then(|e| {
        e.as_db_error()
            .and_then(|d| d.constraint().map(str::to_string))
    });
    assert_eq!(err.as_deref(), Some("terminations_parts_sum"));
    Ok(())
}

#[tokio::test]
async fn a_concurrently_file_runs_outside_a_transaction_and_rebuilds_an_invalid_index() -> TestResult
{
    let mut c = fresh().await?;
    let file = "-- migrate: no-transaction\n\
        CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_test_amount ON payments(amount);\n\
        CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_test_currency ON payments(currency);\n";
    let list = [("9001_test_concurrently.sql", file)];
    assert_eq!(
        shared::migrations::migrate_with(&mut c, &list).await?,
        vec!["9001_test_concurrently.sql"]
    );
    let valid = "SELECT COUNT(*) FROM pg_index i JOIN pg_class x ON x.oid = i.indexrelid
                 WHERE x.relname IN ('idx_test_amount', 'idx_test_currency') AND i.indisvalid";
    let n: i64 = c.query_one(valid, &[]).await?.get(0);
    assert_eq!(n, 2);
    assert!(shared::migrations::migrate_with(&mut c, &list)
        .await?
        .is_empty());

    // A build that failed half-way leaves an INVALID index: the next run drops and rebuilds it
    // instead of keeping it because it "exists".
    c.batch_execute(
        "UPDATE pg_index SET indisvalid = FALSE WHERE indexrelid = 'idx_test_amount'::regclass;
         DELETE FROM schema_migrations WHERE name = '9001_test_concurrently.sql'",
    )
    .await?;
    assert_eq!(
        shared::migrations::migrate_with(&mut c, &list).await?,
        vec!["9001_test_concurrently.sql"]
    );
    let n: i64 = c.query_one(valid, &[]).await?.get(0);
    assert_eq!(n, 2);

    // The same file run in one transaction is refused by PostgreSQL: why the marker exists.
    let tx = c.transaction().await?;
    assert!(tx.batch_execute(file).await.is_err());
    Ok(())
}

#[tokio::test]
async fn migrate_check_passes_on_our_schema_and_names_every_drift() -> TestResult {
    let url = devtools::testdb::fresh_database().await?;
    let config = shared::runtime::config::Config::from_pairs([("DATABASE_URL", url.as_str())]);
    let ok = shared::migrations::check_schema(&config).await?;
    assert_eq!(ok["differences"], serde_json::json!([]));

    let c = shared::clients::db::connect(&url).await?;
    c.batch_execute(
        "ALTER TABLE payments ALTER COLUMN currency DROP NOT NULL;
         ALTER TABLE payments ALTER COLUMN amount TYPE INTEGER;
         ALTER TABLE outbox DROP COLUMN last_error;
         DROP TABLE refund_attempts;",
    )
    .await?;
    let err = shared::migrations::check_schema(&config)
        .await
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    for want in [
        "payments.currency allows NULL, want NOT NULL",
        "payments.amount is integer, want bigint",
        "outbox.last_error is missing",
        "table refund_attempts is missing",
    ] {
        assert!(err.contains(want), "{want} not in: {err}");
    }
    Ok(())
}
