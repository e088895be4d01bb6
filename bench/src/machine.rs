//! This machine's own limits, measured in the same run as the numbers they put in scale:
//! single-core memory-read bandwidth and the latency of a 4 KiB write + fdatasync.

use std::io::Write;
use std::path::Path;
use std::time::Instant;

/// Bytes per second one core reads from memory: the best of `runs` sums over a 1 GiB array
/// (far larger than any cache), with independent accumulators so the adds never stall.
pub fn memory_read_bandwidth(runs: usize) -> f64 {
    let values: Vec<f64> = (0..(1usize << 27)).map(|i| i as f64).collect();
    let mut best = f64::MAX;
    let mut sink = 0.0;
    for _ in 0..runs {
        let start = Instant::now();
        sink += sum(std::hint::black_box(&values));
        best = best.min(start.elapsed().as_secs_f64());
    }
    std::hint::black_box(sink);
    (values.len() * 8) as f64 / best
}

/// The scan kernel under test elsewhere too: eight lanes, so the compiler vectorises it.
pub fn sum(values: &[f64]) -> f64 {
    let mut acc = [0.0f64; 8];
    let chunks = values.chunks_exact(8);
    let rest: f64 = chunks.remainder().iter().sum();
    for c in chunks {
        for i in 0..8 {
            acc[i] += c[i];
        }
    }
    acc.iter().sum::<f64>() + rest
}

/// Median and 99th percentile, in seconds, of `n` appends of 4 KiB each followed by fdatasync.
pub fn fsync_latency(dir: &Path, n: usize) -> std::io::Result<(f64, f64)> {
    let path = dir.join("fsync-probe");
    let mut file = std::fs::File::create(&path)?;
    let block = [0x5Au8; 4096];
    let mut times = Vec::with_capacity(n);
    for _ in 0..n {
        let start = Instant::now();
        file.write_all(&block)?;
        file.sync_data()?;
        times.push(start.elapsed().as_secs_f64());
    }
    std::fs::remove_file(&path)?;
    Ok(crate::results::p50_p99(times).unwrap_or_default())
}

/// The machine as the results describe it: CPU model, cores, memory, and its limits measured
/// now (read bandwidth best of `runs`, fsync latency over 400 syncs in `dir`).
pub fn describe(dir: &Path, runs: usize) -> std::io::Result<crate::results::Machine> {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let cpu = cpuinfo
        .lines()
        .find_map(|l| l.strip_prefix("model name"))
        .map_or("unknown", |v| v.trim_start_matches([' ', '\t', ':']))
        .to_string();
    let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
    let memory_kib: f64 = meminfo
        .lines()
        .find_map(|l| l.strip_prefix("MemTotal:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0.0);
    let (p50, p99) = fsync_latency(dir, 400)?;
    Ok(crate::results::Machine {
        cpu,
        cores: std::thread::available_parallelism().map_or(1, |n| n.get()),
        memory_gib: memory_kib / (1u64 << 20) as f64,
        memory_read_gb_s: memory_read_bandwidth(runs) / 1e9,
        fsync_p50_ms: p50 * 1e3,
        fsync_p99_ms: p99 * 1e3,
    })
}
