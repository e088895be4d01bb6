//! `seam serve`: the database over TCP (docs/PROTOCOL.md).

use seamdb_server::{Config, Server};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

/// Serve a database over TCP: appends (acknowledged once durable), SeamQL queries and trace
/// lookups from many clients at once. The protocol is in docs/PROTOCOL.md; SIGTERM or
/// SIGINT stops accepting, finishes what is in flight, flushes and exits 0.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Database directory (created if missing).
    db: PathBuf,
    /// Address to listen on. Loopback by default; anything else exposes the database to
    /// the network, so use --token-file with it.
    #[arg(long, default_value = "127.0.0.1:7878")]
    listen: SocketAddr,
    /// File holding the token clients must present (surrounding whitespace is ignored).
    #[arg(long)]
    token_file: Option<PathBuf>,
    /// Largest frame accepted, in MiB.
    #[arg(long, default_value_t = 64)]
    max_frame_mib: u64,
    /// Most connections served at once.
    #[arg(long, default_value_t = 256)]
    max_connections: usize,
    /// Request bytes all connections together may hold at once, in MiB; a frame that would
    /// go over is answered Busy. With --max-frame-mib this bounds what clients can make the
    /// server allocate.
    #[arg(long, default_value_t = 1024)]
    max_buffered_mib: u64,
    /// Seconds within which each request must arrive whole after the previous reply; a
    /// silent or trickling connection is closed after that.
    #[arg(long, default_value_t = 300)]
    idle_timeout_s: u64,
    /// Answer Prometheus scrapes (GET /metrics) at this address: each SLO's latest judged
    /// window per group (seamdb_slo_value, seamdb_slo_status) and the server's counters and
    /// latency histograms. Loopback unless you mean to expose it.
    #[arg(long, value_name = "HOST:PORT")]
    metrics: Option<SocketAddr>,
    /// With --metrics: judge the SLOs again at most this often, in seconds, and only after
    /// the database changed (a scrape never waits for a judging).
    #[arg(long, default_value_t = 10, requires = "metrics")]
    judge_every_s: u64,
    /// This database is shard K of N of one database split by trace ID (docs/DISTRIBUTED.md):
    /// appends holding a trace of another shard are refused whole.
    #[arg(long, value_name = "K/N", value_parser = parse_shard)]
    shard: Option<(u32, u32)>,
}

/// `K/N` with K < N.
fn parse_shard(text: &str) -> Result<(u32, u32), String> {
    let parsed = text.split_once('/').and_then(|(k, n)| Some((k.trim().parse::<u32>().ok()?, n.trim().parse::<u32>().ok()?)));
    match parsed {
        Some((k, n)) if k < n => Ok((k, n)),
        _ => Err(format!("{text:?}: give K/N, shard K of N counted from 0 (e.g. 0/4)")),
    }
}

pub fn run(args: Args) -> anyhow::Result<()> {
    let token = match &args.token_file {
        Some(path) => {
            let text = std::fs::read(path).map_err(|e| anyhow::anyhow!("reading the token file {}: {e}", path.display()))?;
            let token = text.trim_ascii().to_vec();
            anyhow::ensure!(!token.is_empty(), "the token file {} is empty", path.display());
            Some(token)
        }
        None => None,
    };
    let db = Arc::new(seamdb::Db::open(&args.db)?);
    let config = Config {
        listen: args.listen,
        token,
        max_frame: args.max_frame_mib << 20,
        max_connections: args.max_connections,
        max_buffered: args.max_buffered_mib << 20,
        idle_timeout: Duration::from_secs(args.idle_timeout_s),
        metrics: args.metrics,
        judge_every: Duration::from_secs(args.judge_every_s),
        shard: args.shard,
    };
    let server = Server::bind(db.clone(), config).map_err(|e| anyhow::anyhow!("listening on {}: {e}", args.listen))?;
    let stopper = server.stopper()?;
    ctrlc::set_handler(move || stopper.stop())?;
    match args.shard {
        Some((k, n)) => eprintln!("serving {} (shard {k} of {n}) on {}", args.db.display(), server.local_addr()?),
        None => eprintln!("serving {} on {}", args.db.display(), server.local_addr()?),
    }
    if let Some(addr) = server.metrics_addr() {
        eprintln!("Prometheus metrics at http://{addr}/metrics");
    }
    server.run()?;
    let joins = db.join_stats();
    eprintln!(
        "stopped; everything acknowledged is on disk. Stored joins maintained meanwhile: {} joined events resolved, {} join files written ({} bytes)",
        joins.events_resolved, joins.files_written, joins.bytes_written
    );
    Ok(())
}
