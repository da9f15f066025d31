//! An embedded PostgreSQL cluster under `.dev/` for local-api: initdb and pg_ctl from the
//! machine's PostgreSQL. Postgres refuses to run as root, so as root it runs as `postgres`.
use anyhow::{bail, Context};
use std::path::{Path, PathBuf};
use std::process::Command;

pub struct Cluster {
    pub data_dir: PathBuf,
    pub port: u16,
    bin: PathBuf,
    as_postgres: bool,
}

/// The directory holding initdb and pg_ctl: `pg_config --bindir`, else the newest under
/// /usr/lib/postgresql.
pub fn bin_dir() -> anyhow::Result<PathBuf> {
    if let Ok(out) = Command::new("pg_config").arg("--bindir").output() {
        let dir = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
        if dir.join("initdb").exists() {
            return Ok(dir);
        }
    }
    let mut versions: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .context(
            "PostgreSQL is not installed (no /usr/lib/postgresql); apt-get install postgresql",
        )?
        .filter_map(|e| e.ok().map(|e| e.path().join("bin")))
        .filter(|p| p.join("initdb").exists())
        .collect();
    versions.sort();
    versions
        .pop()
        .context("no initdb found under /usr/lib/postgresql/*/bin")
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

impl Cluster {
    pub fn new(data_dir: &Path, port: u16) -> anyhow::Result<Self> {
        Ok(Cluster {
            data_dir: data_dir.to_path_buf(),
            port,
            bin: bin_dir()?,
            as_postgres: is_root(),
        })
    }

    fn command(&self, tool: &str, args: &[&str]) -> Command {
        let exe = self.bin.join(tool);
        if self.as_postgres {
            let mut c = Command::new("runuser");
            c.arg("-u").arg("postgres").arg("--").arg(&exe).args(args);
            c
        } else {
            let mut c = Command::new(&exe);
            c.args(args);
            c
        }
    }

    fn run(&self, tool: &str, args: &[&str]) -> anyhow::Result<()> {
        let exe = self.bin.join(tool);
        let status = if self.as_postgres {
            Command::new("runuser")
                .arg("-u")
                .arg("postgres")
                .arg("--")
                .arg(&exe)
                .args(args)
                .status()
        } else {
            Command::new(&exe).args(args).status()
        }
        .with_context(|| format!("could not run {tool}"))?;
        if !status.success() {
            bail!("{tool} failed ({status})");
        }
        Ok(())
    }

    /// Creates the cluster if needed and starts it; a running cluster is left as it is.
    pub fn start(&self) -> anyhow::Result<()> {
        let data = self.data_dir.to_string_lossy().to_string();
        if let Some(parent) = self.data_dir.parent() {
            std::fs::create_dir_all(parent)?;
        }
        if !self.data_dir.join("PG_VERSION").exists() {
            std::fs::create_dir_all(&self.data_dir)?;
            if self.as_postgres {
                let ok = Command::new("chown")
                    .args(["-R", "postgres:postgres", &data])
                    .status()?
                    .success();
                if !ok {
                    bail!("could not give {data} to the postgres user");
                }
            }
            self.run(
                "initdb",
                &[
                    "-D",
                    &data,
                    "-U",
                    "postgres",
                    "--auth=trust",
                    "-E",
                    "UTF8",
                    "--no-instructions",
                ],
            )?;
        }
        let running = self
            .command("pg_ctl", &["status", "-D", &data])
            .output()
            .map(|o| o.status.success())
            .unwrap_or(false);
        if running {
            return Ok(());
        }
        let opts = format!("-p {} -k /tmp -c listen_addresses=127.0.0.1", self.port);
        let log = self
            .data_dir
            .join("server.log")
            .to_string_lossy()
            .to_string();
        self.run(
            "pg_ctl",
            &["start", "-w", "-D", &data, "-o", &opts, "-l", &log],
        )
    }

    pub fn stop(&self) -> anyhow::Result<()> {
        let data = self.data_dir.to_string_lossy().to_string();
        self.run("pg_ctl", &["stop", "-D", &data, "-m", "fast"])
    }

    pub fn admin_url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }

    pub fn url(&self, db: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{db}", self.port)
    }
}

/// Creates a database if it does not exist yet.
pub async fn ensure_database(admin_url: &str, name: &str) -> anyhow::Result<()> {
    let client = shared::clients::db::connect(admin_url).await?;
    let exists = client
        .query_opt("SELECT 1 FROM pg_database WHERE datname = $1", &[&name])
        .await?
        .is_some();
    if !exists {
        if !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            bail!("database name {name} is not a plain identifier");
        }
        client
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .await?;
    }
    Ok(())
}
