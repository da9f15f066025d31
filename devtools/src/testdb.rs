//! A fresh database per test, cloned from a migrated template (fast), on the cluster named by
//! `TEST_DATABASE_URL` (the test command starts one).
use anyhow::Context;
use sha2::{Digest, Sha256};

fn admin_url() -> anyhow::Result<String> {
    std::env::var("TEST_DATABASE_URL")
        .context("TEST_DATABASE_URL is not set: run the tests through scripts/test.sh (see README)")
}

fn with_db(url: &str, db: &str) -> anyhow::Result<String> {
    let mut u = url::Url::parse(url).context("TEST_DATABASE_URL is not a URL")?;
    u.set_path(&format!("/{db}"));
    Ok(u.to_string())
}

/// The template's name changes whenever a migration does, so an old template is never reused.
fn template_name() -> String {
    let mut h = Sha256::new();
    for (name, sql) in shared::migrations::MIGRATIONS {
        h.update(name.as_bytes());
        h.update(sql.as_bytes());
    }
    format!("yt_template_{}", &hex::encode(h.finalize())[..12])
}

async fn ensure_template(admin: &tokio_postgres::Client, url: &str) -> anyhow::Result<String> {
    let name = template_name();
    // One process builds it; the others wait on the lock and then find it.
    admin
        .batch_execute("SELECT pg_advisory_lock(7123002)")
        .await?;
    let result = async {
        let exists = admin
            .query_opt("SELECT 1 FROM pg_database WHERE datname = $1", &[&name])
            .await?
            .is_some();
        if !exists {
            let building = format!("{name}_building");
            admin
                .batch_execute(&format!("DROP DATABASE IF EXISTS {building}"))
                .await?;
            admin
                .batch_execute(&format!("CREATE DATABASE {building}"))
                .await?;
            {
                let mut c = shared::clients::db::connect(&with_db(url, &building)?).await?;
                shared::migrations::migrate(&mut c).await?;
            }
            // Wait for the migrating connection to go before renaming.
            for _ in 0..50 {
                let busy = admin
                    .query_one(
                        "SELECT COUNT(*) FROM pg_stat_activity WHERE datname = $1",
                        &[&building],
                    )
                    .await?
                    .get::<_, i64>(0);
                if busy == 0 {
                    break;
                }
                tokio::time::sleep(std::time::Duration::from_millis(20)).await;
            }
            admin
                .batch_execute(&format!("ALTER DATABASE {building} RENAME TO {name}"))
                .await?;
        }
        Ok::<_, anyhow::Error>(())
    }
    .await;
    admin
        .batch_execute("SELECT pg_advisory_unlock(7123002)")
        .await?;
    result?;
    Ok(name)
}

/// The URL the functions use for a test database: through the transaction-mode pooler named
/// by `TEST_POOLER_URL` (PgBouncer, started by the test command's pooled pass) when set, else
/// the direct URL. Assertions and set-up keep the direct one.
pub fn app_url(direct: &str) -> anyhow::Result<String> {
    let Ok(pooler) = std::env::var("TEST_POOLER_URL") else {
        return Ok(direct.to_string());
    };
    let p = url::Url::parse(&pooler).context("TEST_POOLER_URL is not a URL")?;
    let mut u = url::Url::parse(direct).context("not a database URL")?;
    u.set_host(p.host_str())
        .context("TEST_POOLER_URL has no host")?;
    u.set_port(p.port())
        .map_err(|_| anyhow::anyhow!("TEST_POOLER_URL has a bad port"))?;
    Ok(u.to_string())
}

/// Creates a fresh, migrated database and returns its URL.
pub async fn fresh_database() -> anyhow::Result<String> {
    let url = admin_url()?;
    let admin = shared::clients::db::connect(&url).await?;
    let template = ensure_template(&admin, &url).await?;
    let name = format!("t_{}", uuid::Uuid::new_v4().simple());
    let mut last = None;
    // CREATE DATABASE … TEMPLATE refuses while anything else is connected to the template.
    for _ in 0..20 {
        match admin
            .batch_execute(&format!("CREATE DATABASE {name} TEMPLATE {template}"))
            .await
        {
            Ok(()) => return with_db(&url, &name),
            Err(e) => {
                last = Some(e);
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            }
        }
    }
    Err(last
        .map(anyhow::Error::from)
        .unwrap_or_else(|| anyhow::anyhow!("could not create a test database")))
}
