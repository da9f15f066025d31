//! `local-api serve`: every HTTP route on 127.0.0.1:$PORT against an embedded Postgres with demo
//! data (or `DATABASE_URL`), a local Razorpay when no keys are set, and printed demo tokens.
//! `local-api invoke <function> [--event FILE]`: runs one function's handler once and prints
//! the result as JSON — the local stand-in for `sam local invoke`.
use anyhow::{bail, Context};
use devtools::{demo, pg, razorpay_sim::RazorpaySim};
use lambda_http::RequestExt;
use shared::functions::ALL;
use shared::runtime::config::Config;
use shared::runtime::context::AppContext;
use std::sync::Arc;

use devtools::demo::{DEV_CAL_SECRET, DEV_JWT_SECRET, DEV_WEBHOOK_SECRET};

struct Stack {
    ctx: Arc<AppContext>,
    cluster: Option<pg::Cluster>,
    _razorpay: Option<RazorpaySim>,
}

async fn build_stack(quiet: bool) -> anyhow::Result<Stack> {
    if std::env::var_os("AWS_REGION").is_none() && std::env::var_os("AWS_DEFAULT_REGION").is_none()
    {
        // Without a region the SDK asks EC2's metadata service, which is not there locally.
        std::env::set_var("AWS_REGION", "ap-south-1");
    }
    let mut config = Config::from_env(&shared::functions::all_env());
    let mut cluster = None;
    if config.get("DATABASE_URL").is_none() {
        let port: u16 = std::env::var("DEV_PG_PORT")
            .ok()
            .and_then(|p| p.parse().ok())
            .unwrap_or(54329);
        let dir = std::env::current_dir()?.join(".dev").join("pg");
        let c = pg::Cluster::new(&dir, port)?;
        c.start()
            .context("could not start the embedded PostgreSQL under .dev/pg")?;
        pg::ensure_database(&c.admin_url(), "yestoryd").await?;
        config = config.with("DATABASE_URL", c.url("yestoryd"));
        cluster = Some(c);
    }
    let url = config.require("DATABASE_URL")?.to_string();
    let mut client = shared::clients::db::connect(&url).await?;
    let applied = shared::migrations::migrate(&mut client).await?;
    if !quiet && !applied.is_empty() {
        tracing::info!(?applied, "migrations applied");
    }
    if cluster.is_some() || std::env::var("LOCAL_API_SEED_DEMO").as_deref() == Ok("1") {
        demo::seed(&mut client).await?;
    }
    let mut razorpay = None;
    if config.get("RAZORPAY_KEY_ID").is_none() {
        let sim = RazorpaySim::start().await?;
        for (id, amount) in demo::PAYMENTS {
            sim.add_payment(id, *amount);
        }
        config = config
            .with("RAZORPAY_API_BASE", sim.base_url.clone())
            .with("RAZORPAY_KEY_ID", devtools::razorpay_sim::KEY_ID)
            .with("RAZORPAY_KEY_SECRET", devtools::razorpay_sim::KEY_SECRET);
        razorpay = Some(sim);
    }
    if config.get("SUPABASE_JWT_SECRET").is_none() {
        config = config.with("SUPABASE_JWT_SECRET", DEV_JWT_SECRET);
    }
    if config.get("RAZORPAY_WEBHOOK_SECRET").is_none() {
        config = config.with("RAZORPAY_WEBHOOK_SECRET", DEV_WEBHOOK_SECRET);
    }
    if config.get("EMAIL_FROM").is_none() {
        config = config.with("EMAIL_FROM", "noreply@yestoryd.local");
    }
    if config.get("ADMIN_ALERT_EMAIL").is_none() {
        config = config.with("ADMIN_ALERT_EMAIL", "admin@yestoryd.local");
    }
    if config.get("CAL_WEBHOOK_SECRET").is_none() {
        config = config.with("CAL_WEBHOOK_SECRET", DEV_CAL_SECRET);
    }
    if config.get("RETRY_LINK_SECRET").is_none() {
        config = config.with(
            "RETRY_LINK_SECRET",
            "local-dev-retry-link-secret-not-for-production",
        );
    }
    if config.get("SITE_URL").is_none() {
        config = config.with("SITE_URL", "http://127.0.0.1:3000");
    }
    if config.get("NOTIFICATIONS_QUEUE_URL").is_none() {
        config = config.with("NOTIFICATIONS_QUEUE_URL", "local:outbox");
    }
    if config.get("CALENDAR_QUEUE_URL").is_none() {
        config = config.with("CALENDAR_QUEUE_URL", "local:outbox");
    }
    // A throwaway key and no reachable Google: calendar-sync runs, and a session with an event
    // stays queued (as when Google is down).
    if config.get("GOOGLE_SERVICE_ACCOUNT_KEY").is_none() {
        config = config.with(
            "GOOGLE_SERVICE_ACCOUNT_KEY",
            devtools::demo::dev_google_key_json("http://127.0.0.1:9/token"),
        );
        if config.get("GOOGLE_CALENDAR_API_BASE").is_none() {
            config = config.with("GOOGLE_CALENDAR_API_BASE", "http://127.0.0.1:9");
        }
    }
    if !quiet {
        for f in ALL {
            let missing = config.missing(&f.required_env());
            if !missing.is_empty() {
                tracing::warn!(function = f.name, missing = ?missing, "function lacks configuration; its routes answer 503");
            }
        }
    }
    let ctx = shared::functions::context(config, 16).await?;
    Ok(Stack {
        ctx: Arc::new(ctx),
        cluster,
        _razorpay: razorpay,
    })
}

async fn serve() -> anyhow::Result<()> {
    let stack = build_stack(false).await?;
    let port: u16 = std::env::var("PORT")
        .ok()
        .and_then(|p| p.parse().ok())
        .unwrap_or(3000);
    let (addr, server) =
        devtools::server::spawn(stack.ctx.clone(), ([127, 0, 0, 1], port).into()).await?;
    let secret = stack.ctx.config.require("SUPABASE_JWT_SECRET")?;
    let admin = shared::runtime::auth::sign_token(
        secret,
        demo::ADMIN_USER_ID,
        Some("admin@yestoryd.local"),
        Some("admin"),
        86400,
    )?;
    let parent = shared::runtime::auth::sign_token(
        secret,
        demo::PARENT_USER_ID,
        Some("priya@example.com"),
        None,
        86400,
    )?;
    let coach = shared::runtime::auth::sign_token(
        secret,
        demo::COACH_USER_ID,
        Some("anita@example.com"),
        None,
        86400,
    )?;
    println!("local-api listening on http://{addr}");
    println!("\nADMIN_TOKEN={admin}\nPARENT_TOKEN={parent}\nCOACH_TOKEN={coach}\n");
    println!("Try a refund quote, then the refund itself:");
    println!(
        "  curl -s -X POST http://{addr}/admin/refunds -H \"Authorization: Bearer $ADMIN_TOKEN\" \\\n    -d '{{\"enrollmentId\":\"{}\",\"reason\":\"Family is relocating abroad\",\"dryRun\":true}}'",
        demo::ENROLLMENT_PRORATED
    );
    // Ctrl-C and `kill` (SIGTERM) both stop the embedded PostgreSQL before exiting.
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = term.recv() => {}
        _ = server => {}
    }
    if let Some(c) = &stack.cluster {
        let _ = c.stop();
    }
    Ok(())
}

async fn invoke(function: &str, event_file: Option<String>) -> anyhow::Result<bool> {
    let spec = shared::functions::find(function)
        .with_context(|| format!("unknown function {function}"))?;
    let path = event_file.unwrap_or_else(|| format!("events/{function}.json"));
    let text =
        std::fs::read_to_string(&path).with_context(|| format!("cannot read event file {path}"))?;
    let stack = build_stack(true).await?;
    let missing = stack.ctx.config.missing(&spec.required_env());
    if !missing.is_empty() {
        bail!(
            "{function} is not configured: missing {}",
            missing.join(", ")
        );
    }
    let (output, ok) = if spec.is_http() {
        let req = lambda_http::request::from_str(&text)
            .with_context(|| format!("{path} is not an API Gateway event"))?
            .with_lambda_context(lambda_runtime::Context::default());
        let resp = spec
            .call_http(&stack.ctx, req)
            .await
            .context("not an HTTP function")?;
        let status = resp.status().as_u16();
        // Binary bodies (PDF receipts) as API Gateway returns them: base64, flagged.
        let (body, base64_encoded) = match resp.body() {
            lambda_http::Body::Text(t) => (t.clone(), false),
            lambda_http::Body::Binary(b) => {
                use base64::Engine;
                (base64::engine::general_purpose::STANDARD.encode(b), true)
            }
            _ => (String::new(), false),
        };
        let headers: serde_json::Map<String, serde_json::Value> = resp
            .headers()
            .iter()
            .map(|(k, v)| {
                (
                    k.to_string(),
                    serde_json::Value::String(v.to_str().unwrap_or("").to_string()),
                )
            })
            .collect();
        (
            serde_json::json!({ "statusCode": status, "headers": headers, "body": body, "isBase64Encoded": base64_encoded }),
            status < 500,
        )
    } else {
        let event: serde_json::Value =
            serde_json::from_str(&text).with_context(|| format!("{path} is not JSON"))?;
        (spec.call_event(&stack.ctx, event).await?, true)
    };
    println!("{}", serde_json::to_string_pretty(&output)?);
    Ok(ok)
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    // Logs on stderr: stdout carries `invoke`'s result alone, so it pipes into jq.
    shared::runtime::telemetry::init_stderr();
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        None | Some("serve") => serve().await.map(|_| true),
        Some("invoke") => match args.get(1) {
            Some(function) => {
                let event = args
                    .iter()
                    .position(|a| a == "--event")
                    .and_then(|i| args.get(i + 1))
                    .cloned();
                invoke(function, event).await
            }
            None => Err(anyhow::anyhow!(
                "usage: local-api invoke <function> [--event FILE]"
            )),
        },
        Some("functions") => {
            // What each function needs, as JSON (scripts/check-deploy.sh reads it).
            let list: serde_json::Map<String, serde_json::Value> = ALL
                .iter()
                .map(|f| {
                    let needs: Vec<&str> = f.needs.iter().map(|n| n.name).collect();
                    (f.name.to_string(), serde_json::json!(needs))
                })
                .collect();
            println!("{}", serde_json::Value::Object(list));
            Ok(true)
        }
        Some(other) => Err(anyhow::anyhow!(
            "unknown command {other}; use serve, invoke or functions"
        )),
    };
    match result {
        Ok(true) => std::process::ExitCode::SUCCESS,
        Ok(false) => std::process::ExitCode::FAILURE,
        Err(e) => {
            eprintln!("local-api: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
