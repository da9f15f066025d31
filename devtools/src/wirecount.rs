//! A PostgreSQL wire proxy that counts what clients send: each `Sync` (the end of an
//! extended-protocol exchange) and each simple `Query` is one round trip to the server, and a
//! `Parse` with a non-empty statement name is a named prepared statement — the thing a
//! transaction-mode pooler loses. Point a function's `DATABASE_URL` at `addr` (no TLS).
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

#[derive(Default)]
struct Counters {
    syncs: AtomicU64,
    queries: AtomicU64,
    named_parses: AtomicU64,
    unnamed_parses: AtomicU64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Counts {
    pub syncs: u64,
    pub queries: u64,
    pub named_parses: u64,
    pub unnamed_parses: u64,
}

impl Counts {
    /// Round trips: one per Sync and one per simple Query.
    pub fn round_trips(&self) -> u64 {
        self.syncs + self.queries
    }

    pub fn since(&self, before: &Counts) -> Counts {
        Counts {
            syncs: self.syncs - before.syncs,
            queries: self.queries - before.queries,
            named_parses: self.named_parses - before.named_parses,
            unnamed_parses: self.unnamed_parses - before.unnamed_parses,
        }
    }
}

pub struct WireCounter {
    pub addr: SocketAddr,
    counters: Arc<Counters>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for WireCounter {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl WireCounter {
    /// Listens on a free loopback port and forwards every connection to `upstream`.
    pub async fn start(upstream: SocketAddr) -> std::io::Result<WireCounter> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let counters = Arc::new(Counters::default());
        let c = counters.clone();
        let task = tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let c = c.clone();
                tokio::spawn(async move {
                    if let Ok(server) = TcpStream::connect(upstream).await {
                        let _ = relay(client, server, c).await;
                    }
                });
            }
        });
        Ok(WireCounter {
            addr,
            counters,
            task,
        })
    }

    pub fn counts(&self) -> Counts {
        let c = &self.counters;
        Counts {
            syncs: c.syncs.load(Ordering::SeqCst),
            queries: c.queries.load(Ordering::SeqCst),
            named_parses: c.named_parses.load(Ordering::SeqCst),
            unnamed_parses: c.unnamed_parses.load(Ordering::SeqCst),
        }
    }
}

async fn relay(client: TcpStream, server: TcpStream, c: Arc<Counters>) -> std::io::Result<()> {
    let (mut cr, mut cw) = client.into_split();
    let (mut sr, mut sw) = server.into_split();
    let down = tokio::spawn(async move { tokio::io::copy(&mut sr, &mut cw).await });
    // Startup packets have no type byte: length (including itself), then the body. An SSL or
    // GSS encryption request (refused by a server without TLS) comes before the real one.
    loop {
        let len = cr.read_u32().await?;
        let mut body = vec![0u8; (len as usize).saturating_sub(4)];
        cr.read_exact(&mut body).await?;
        sw.write_u32(len).await?;
        sw.write_all(&body).await?;
        let code = body
            .get(..4)
            .map(|b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]));
        if !matches!(code, Some(80_877_103 | 80_877_104)) {
            break;
        }
    }
    while let Ok(kind) = cr.read_u8().await {
        let len = cr.read_u32().await?;
        let mut body = vec![0u8; (len as usize).saturating_sub(4)];
        cr.read_exact(&mut body).await?;
        match kind {
            b'S' => {
                c.syncs.fetch_add(1, Ordering::SeqCst);
            }
            b'Q' => {
                c.queries.fetch_add(1, Ordering::SeqCst);
            }
            // Parse: statement name (C string) first; empty = the unnamed statement.
            b'P' if body.first() == Some(&0) => {
                c.unnamed_parses.fetch_add(1, Ordering::SeqCst);
            }
            b'P' => {
                c.named_parses.fetch_add(1, Ordering::SeqCst);
            }
            _ => {}
        }
        sw.write_u8(kind).await?;
        sw.write_u32(len).await?;
        sw.write_all(&body).await?;
    }
    down.abort();
    Ok(())
}
