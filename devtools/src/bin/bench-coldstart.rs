//! Cold start and size of every Lambda binary against two baselines built with the same profile,
//! in one run: an empty `lambda_runtime` binary, and the SDK floor (`sdk-floor`: the same, plus
//! one SQS client built as the functions build theirs). A function with an AWS need is held to
//! the floor, any other to the empty binary. Cold start = process spawn → its first poll of the Lambda
//! Runtime API (`GET /2018-06-01/runtime/invocation/next`), served here on a local port as the
//! Lambda service does. With `--strace`, each binary also runs once under strace and the table
//! says how many certificate-store files it opened and what else it connected to before that
//! poll (database, AWS credential endpoints) — there should be none. With `--instructions`, each
//! also runs once under valgrind's callgrind, which counts the instructions it executes before
//! that poll: a number that does not move with the machine's load, as wall time does.
//!
//! cargo build --release -p functions && cargo build --release -p devtools --bin empty-lambda --bin sdk-floor
//! cargo run --release -p devtools --bin bench-coldstart -- [--dir target/release] [--runs 30] [--strace] [--instructions]
//! (two builds: built together, devtools' features would be unified into the functions' crates)
use anyhow::Context;
use devtools::stats::percentile;
use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const BASELINE: &str = "empty-lambda";
const FLOOR: &str = "sdk-floor";
/// The targets: init ≤ 1.15× the floor (AWS needs) or the empty binary (the rest).
const TARGET: f64 = 1.15;
const SDK_CRATES: [&str; 3] = ["aws-sdk-sqs", "aws-sdk-sesv2", "aws-sdk-s3"];

fn env_for(cmd: &mut Command, runtime: &str, home: &Path) {
    cmd.env_clear()
        .env("PATH", "/usr/bin:/bin")
        .env("HOME", home)
        .env("AWS_LAMBDA_RUNTIME_API", runtime)
        .env("AWS_LAMBDA_FUNCTION_NAME", "bench")
        .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "256")
        .env("AWS_LAMBDA_LOG_STREAM_NAME", "bench")
        .env("AWS_LAMBDA_LOG_GROUP_NAME", "bench")
        .env("AWS_REGION", "ap-south-1")
        .env("AWS_ACCESS_KEY_ID", "AKIDBENCH")
        .env("AWS_SECRET_ACCESS_KEY", "bench")
        .env("AWS_SESSION_TOKEN", "bench")
        // Port 9 (discard) on loopback: any connection attempt before the first poll shows up
        // in strace, and none can succeed.
        .env("DATABASE_URL", "postgres://bench:bench@127.0.0.1:9/bench")
        .env(
            "SUPABASE_JWT_SECRET",
            "bench-secret-0123456789abcdef0123456789",
        )
        .env("RAZORPAY_KEY_ID", "rzp_test_bench")
        .env("RAZORPAY_KEY_SECRET", "bench")
        .env("RAZORPAY_WEBHOOK_SECRET", "bench")
        .env("SITE_URL", "https://yestoryd.test")
        .env("RETRY_LINK_SECRET", "bench")
        .env(
            "NOTIFICATIONS_QUEUE_URL",
            "https://sqs.ap-south-1.amazonaws.com/1/notifications",
        )
        .env("EMAIL_FROM", "noreply@yestoryd.test")
        .env("ADMIN_ALERT_EMAIL", "admin@yestoryd.test")
        .env("EXPORTS_BUCKET", "bench")
        .env("WHATSAPP_PHONE_NUMBER_ID", "1")
        .env("WHATSAPP_TOKEN", "bench")
        .env("CAL_WEBHOOK_SECRET", "bench")
        .env(
            "CALENDAR_QUEUE_URL",
            "https://sqs.ap-south-1.amazonaws.com/1/calendar",
        )
        .env(
            "GOOGLE_SERVICE_ACCOUNT_KEY",
            devtools::demo::dev_google_key_json("http://127.0.0.1:9/token"),
        )
        .env("AWS_LAMBDA_LOG_LEVEL", "error")
        .stdout(Stdio::null())
        .stderr(Stdio::null());
}

/// Spawns `cmd` and returns the time until its first request reaches `listener`.
fn time_to_first_poll(listener: &TcpListener, mut cmd: Command) -> anyhow::Result<Duration> {
    let start = Instant::now();
    let mut child: Child = cmd.spawn().context("spawn")?;
    listener.set_nonblocking(false)?;
    let deadline = start + Duration::from_secs(10);
    let result = (|| -> anyhow::Result<Duration> {
        let (stream, _) = listener.accept()?;
        let mut line = String::new();
        BufReader::new(&stream).read_line(&mut line)?;
        let elapsed = start.elapsed();
        anyhow::ensure!(
            line.contains("/runtime/invocation/next"),
            "first request was {line:?}"
        );
        anyhow::ensure!(Instant::now() < deadline, "took over 10 s");
        Ok(elapsed)
    })();
    let _ = child.kill();
    let _ = child.wait();
    result
}

/// Instructions a binary executes from exec to its first poll, counted by valgrind's callgrind
/// (deterministic, where wall time on a shared machine is not): the Runtime API is a closed port,
/// so the binary ends right after its first poll fails. None when valgrind is not installed.
fn instructions(bin: &Path, home: &Path) -> Option<u64> {
    let mut cmd = Command::new("valgrind");
    cmd.arg("--tool=callgrind")
        .arg("--callgrind-out-file=/dev/null")
        .arg(bin);
    env_for(&mut cmd, "127.0.0.1:1", home);
    let out = cmd.stderr(Stdio::piped()).output().ok()?;
    String::from_utf8_lossy(&out.stderr)
        .lines()
        .find_map(|l| l.split("Collected :").nth(1))
        .and_then(|n| n.trim().replace(',', "").parse().ok())
}

/// Whether the binary's bytes carry a crate's source paths (kept for panic locations even
/// when symbols are stripped): a crate whose code is linked leaves them, one that is not does not.
fn links(bytes: &[u8], krate: &str) -> bool {
    let needle = format!("/{krate}-");
    bytes.windows(needle.len()).any(|w| w == needle.as_bytes())
}

struct Trace {
    cert_files: usize,
    other_connects: Vec<String>,
}

fn trace(bin: &Path, listener: &TcpListener, runtime: &str, home: &Path) -> anyhow::Result<Trace> {
    let out = std::env::temp_dir().join(format!("coldstart-{}.strace", std::process::id()));
    let mut cmd = Command::new("strace");
    cmd.arg("-f")
        .arg("-e")
        .arg("trace=openat,open,connect")
        .arg("-o")
        .arg(&out)
        .arg(bin);
    env_for(&mut cmd, runtime, home);
    time_to_first_poll(listener, cmd)?;
    let text = std::fs::read_to_string(&out).unwrap_or_default();
    let _ = std::fs::remove_file(&out);
    let port = runtime.rsplit(':').next().unwrap_or_default();
    let mut cert_files = 0;
    let mut other_connects = Vec::new();
    for line in text.lines() {
        if line.contains("connect(") && line.contains(&format!("htons({port})")) {
            break; // the first poll: what follows is not the cold start
        }
        if line.contains("open") && (line.contains("/etc/ssl") || line.contains("ca-certificates"))
        {
            cert_files += 1;
        }
        if line.contains("connect(") && line.contains("sin_port") {
            other_connects.push(
                line.split("connect(")
                    .nth(1)
                    .unwrap_or(line)
                    .chars()
                    .take(80)
                    .collect(),
            );
        }
        if line.contains("open") && line.contains("/.aws/") {
            other_connects.push("reads ~/.aws".into());
        }
    }
    Ok(Trace {
        cert_files,
        other_connects,
    })
}

/// Whether an ELF64 executable is position-independent (`ET_DYN`) and how many relocations its
/// `.rela.dyn` asks the loader to apply before `main`.
fn relocations(bytes: &[u8]) -> Option<(bool, usize)> {
    let u16_at = |o: usize| Some(u16::from_le_bytes(bytes.get(o..o + 2)?.try_into().ok()?));
    let u32_at = |o: usize| Some(u32::from_le_bytes(bytes.get(o..o + 4)?.try_into().ok()?));
    let u64_at = |o: usize| Some(u64::from_le_bytes(bytes.get(o..o + 8)?.try_into().ok()?));
    if bytes.get(..4)? != b"\x7fELF" {
        return None;
    }
    let pie = u16_at(16)? == 3;
    let (shoff, shentsize) = (u64_at(0x28)? as usize, u16_at(0x3A)? as usize);
    let (shnum, shstrndx) = (u16_at(0x3C)? as usize, u16_at(0x3E)? as usize);
    let names = u64_at(shoff + shstrndx * shentsize + 0x18)? as usize;
    let mut relocs = 0;
    for i in 0..shnum {
        let h = shoff + i * shentsize;
        let name = names + u32_at(h)? as usize;
        if bytes.get(name..name + 10)? == b".rela.dyn\0" {
            relocs += (u64_at(h + 0x20)? / 24) as usize;
        }
    }
    Some((pie, relocs))
}

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let arg = |name: &str| {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
            .cloned()
    };
    let dir = PathBuf::from(arg("--dir").unwrap_or_else(|| "target/release".into()));
    let runs: usize = arg("--runs").and_then(|r| r.parse().ok()).unwrap_or(30);
    let with_strace = args.iter().any(|a| a == "--strace");
    let with_instructions = args.iter().any(|a| a == "--instructions");
    let home = std::env::temp_dir().join("coldstart-home");
    std::fs::create_dir_all(home.join(".aws"))?;
    // A profile that exists, so a binary that read one would show it in the trace.
    std::fs::write(
        home.join(".aws").join("config"),
        "[default]\nregion = eu-west-1\n",
    )?;
    std::fs::write(
        home.join(".aws").join("credentials"),
        "[default]\naws_access_key_id = AKIDPROFILE\naws_secret_access_key = profile\n",
    )?;

    let mut names: Vec<&str> = vec![BASELINE, FLOOR];
    names.extend(shared::functions::ALL.iter().map(|f| f.name));
    for n in &names {
        anyhow::ensure!(
            dir.join(n).exists(),
            "{} is missing: cargo build --release -p functions && cargo build --release -p devtools --bin empty-lambda --bin sdk-floor",
            dir.join(n).display()
        );
    }
    let aws_needs = |name: &str| -> Vec<&'static str> {
        let mut out: Vec<&'static str> = shared::functions::ALL
            .iter()
            .filter(|f| f.name == name)
            .flat_map(|f| f.needs.iter().filter_map(|n| n.aws_sdk()))
            .collect();
        out.sort();
        out.dedup();
        out
    };
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let runtime = listener.local_addr()?.to_string();

    // Interleaved rounds, so drift (cache, frequency) hits every binary alike.
    let mut samples: Vec<Vec<f64>> = vec![Vec::new(); names.len()];
    for _ in 0..runs {
        for (i, n) in names.iter().enumerate() {
            let mut cmd = Command::new(dir.join(n));
            env_for(&mut cmd, &runtime, &home);
            let t = time_to_first_poll(&listener, cmd).with_context(|| n.to_string())?;
            samples[i].push(t.as_secs_f64() * 1000.0);
        }
    }
    for s in &mut samples {
        s.sort_by(|a, b| a.total_cmp(b));
    }
    let base = percentile(&samples[0], 0.5);
    let floor = percentile(&samples[1], 0.5);
    println!(
        "cold start = spawn → first poll of the Runtime API; {runs} runs each, interleaved; dir {}",
        dir.display()
    );
    println!(
        "| binary | size MB | relocations | cold p50 ms | p90 ms | vs empty | vs SDK floor | held to | SDK crates linked | chrono-tz |{}{}",
        if with_instructions {
            " instructions before poll | vs empty | vs SDK floor |"
        } else {
            ""
        },
        if with_strace {
            " cert files | other I/O before poll |"
        } else {
            ""
        }
    );
    println!(
        "|---|---:|---:|---:|---:|---:|---:|---|---|---|{}{}",
        if with_instructions {
            "---:|---:|---:|"
        } else {
            ""
        },
        if with_strace { "---:|---|" } else { "" }
    );
    let (base_i, floor_i) = if with_instructions {
        (
            instructions(&dir.join(BASELINE), &home),
            instructions(&dir.join(FLOOR), &home),
        )
    } else {
        (None, None)
    };
    let (mut worst_aws, mut worst_other): (f64, f64) = (0.0, 0.0);
    let mut misses: Vec<String> = Vec::new();
    for (i, n) in names.iter().enumerate() {
        let path = dir.join(n);
        let bytes = std::fs::read(&path)?;
        let p50 = percentile(&samples[i], 0.5);
        let needs = aws_needs(n);
        let linked: Vec<&str> = SDK_CRATES
            .iter()
            .copied()
            .filter(|k| links(&bytes, k))
            .collect();
        let held = if i < 2 {
            "—"
        } else if needs.is_empty() {
            worst_other = worst_other.max(p50 / base);
            "empty ≤ 1.15×"
        } else {
            worst_aws = worst_aws.max(p50 / floor);
            "floor ≤ 1.15×"
        };
        if i >= 2 {
            let ratio = if needs.is_empty() {
                p50 / base
            } else {
                p50 / floor
            };
            if ratio > TARGET {
                misses.push(format!("{n} {ratio:.2}×"));
            }
            if needs != linked {
                misses.push(format!("{n} links {linked:?}, needs {needs:?}"));
            }
        }
        let mut row = format!(
            "| {n} | {:.2} | {} | {:.2} | {:.2} | {:.2}× | {:.2}× | {held} | {} | {} |",
            bytes.len() as f64 / 1_048_576.0,
            match relocations(&bytes) {
                Some((true, r)) => format!("{r} (PIE)"),
                Some((false, r)) => r.to_string(),
                None => "?".to_string(),
            },
            p50,
            percentile(&samples[i], 0.9),
            p50 / base,
            p50 / floor,
            if linked.is_empty() {
                "—".to_string()
            } else {
                linked.join(", ")
            },
            if links(&bytes, "chrono-tz") {
                "linked"
            } else {
                "—"
            },
        );
        if with_instructions {
            // The baselines were counted once above.
            let own = match i {
                0 => base_i,
                1 => floor_i,
                _ => instructions(&path, &home),
            };
            match (own, base_i, floor_i) {
                (Some(n), Some(b), Some(f)) => row.push_str(&format!(
                    " {n} | {:.2}× | {:.2}× |",
                    n as f64 / b as f64,
                    n as f64 / f as f64
                )),
                _ => row.push_str(" — (no valgrind) | — | — |"),
            }
        }
        if with_strace {
            let t = trace(&path, &listener, &runtime, &home)?;
            row.push_str(&format!(
                " {} | {} |",
                t.cert_files,
                if t.other_connects.is_empty() {
                    "none".to_string()
                } else {
                    t.other_connects.join("; ")
                }
            ));
        }
        println!("{row}");
    }
    println!(
        "SDK floor / empty: {:.2}×; worst AWS function / floor: {worst_aws:.2}×; worst other / empty: {worst_other:.2}×",
        floor / base
    );
    if misses.is_empty() {
        println!(
            "every function within its target ({TARGET}×) and linking the SDK crates of its needs"
        );
    } else {
        println!("off target: {}", misses.join("; "));
    }
    Ok(())
}
