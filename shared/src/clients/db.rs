//! PostgreSQL: one small pool per cold start (TLS when the URL asks for it) and a plain client
//! for migrations and tooling. No SQL of any capability lives here.
use anyhow::Context;
use deadpool_postgres::{Hook, HookError, Manager, ManagerConfig, Pool, RecyclingMethod, Runtime};
use std::time::Duration;

/// How long a pooled connection may idle before its next checkout checks it first.
pub const IDLE_CHECK_AFTER: Duration = Duration::from_secs(30);

pub fn pool(database_url: &str, max_size: usize) -> anyhow::Result<Pool> {
    let pg: tokio_postgres::Config = database_url
        .parse()
        .context("DATABASE_URL is not a valid PostgreSQL connection string")?;
    let mgr_config = ManagerConfig {
        // No round trip on a checkout: a connection used moments ago is handed out as is.
        recycling_method: RecyclingMethod::Fast,
    };
    let mgr = if pg.get_ssl_mode() == tokio_postgres::config::SslMode::Disable {
        Manager::from_config(pg, tokio_postgres::NoTls, mgr_config)
    } else {
        Manager::from_config(pg, tls_connector()?, mgr_config)
    };
    Pool::builder(mgr)
        .max_size(max_size)
        .runtime(Runtime::Tokio1)
        .wait_timeout(Some(Duration::from_secs(10)))
        .create_timeout(Some(Duration::from_secs(5)))
        .recycle_timeout(Some(Duration::from_secs(5)))
        // A socket that idled past IDLE_CHECK_AFTER (a Lambda frozen between requests) may be
        // dead while it still looks open: only then one empty query checks it, before any
        // statement runs; a dead one is dropped and a fresh connection made.
        .pre_recycle(Hook::async_fn(|client, metrics| {
            Box::pin(async move {
                if metrics.last_used() >= IDLE_CHECK_AFTER {
                    client.simple_query("").await.map_err(HookError::Backend)?;
                }
                Ok(())
            })
        }))
        .build()
        .context("could not build the database pool")
}

fn tls_connector() -> anyhow::Result<tokio_postgres_rustls::MakeRustlsConnect> {
    let roots = rustls::RootCertStore {
        roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
    };
    let config = rustls::ClientConfig::builder_with_provider(std::sync::Arc::new(
        rustls::crypto::aws_lc_rs::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .context("TLS set-up failed")?
    .with_root_certificates(roots)
    .with_no_client_auth();
    Ok(tokio_postgres_rustls::MakeRustlsConnect::new(config))
}

/// Connects one plain client (migrations, tooling), driving the connection in the background.
pub async fn connect(database_url: &str) -> anyhow::Result<tokio_postgres::Client> {
    let pg: tokio_postgres::Config = database_url
        .parse()
        .context("DATABASE_URL is not a valid PostgreSQL connection string")?;
    if pg.get_ssl_mode() == tokio_postgres::config::SslMode::Disable {
        let (client, conn) = pg.connect(tokio_postgres::NoTls).await?;
        tokio::spawn(async move {
            if let Err(e) = conn.await {
                tracing::warn!(error = %e, "database connection closed");
            }
        });
        Ok(client)
    } else {
        let (client, conn) = pg.connect(tls_connector()?).await?;
        tokio::spawn(async move {
            if let Err(e) = conn.await {
                tracing::warn!(error = %e, "database connection closed");
            }
        });
        Ok(client)
    }
}
