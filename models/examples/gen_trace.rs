//! Writes a synthetic request trace in libCacheSim's oracleGeneral format: Zipf-popular keys
//! with a fixed size per key, for `distsim cache` and the shipped example trace.
//!
//! ```text
//! cargo run --release -p models --example gen_trace -- \
//!     --requests 100000 --objects 20000 --alpha 1.0 --seed 1 --rate 1000 \
//!     --out scenarios/examples/traces/zipf-small.oracleGeneral.zst
//! ```
//!
//! Key `k` is the `k`-th most popular (key 0 hottest); its size is drawn once, log-uniform in
//! `--min-size..=--max-size` bytes, from its own seeded stream, so the same flags always write
//! the same bytes. A name ending in `.zst` is zstd-compressed (checksummed frames). The
//! next-access column is -1 (none) unless `--next-access` fills it, as libCacheSim's
//! `traceConv` does (only offline-optimal policies read it; it compresses poorly).

use std::fs::File;
use std::io::BufWriter;
use std::process::ExitCode;

use models::workload::trace::{
    set_next_access_vtime, write_oracle_general, Compression, TraceRecord,
};
use models::workload::{KeyId, KeyPopularity, Op};
use rand::Rng;
use sim_core::rng::{stream, StreamKind, StreamLabel};

struct Flags {
    requests: u64,
    objects: u64,
    alpha: f64,
    seed: u64,
    rate: u64,
    min_size: u32,
    max_size: u32,
    next_access: bool,
    out: String,
}

fn parse() -> Result<Flags, String> {
    let mut flags = Flags {
        requests: 100_000,
        objects: 20_000,
        alpha: 1.0,
        seed: 1,
        rate: 1_000,
        min_size: 100,
        max_size: 16_384,
        next_access: false,
        out: String::new(),
    };
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    if let Some(at) = args.iter().position(|a| a == "--next-access") {
        args.remove(at);
        flags.next_access = true;
    }
    for pair in args.chunks(2) {
        let [flag, value] = pair else {
            return Err(format!("{} needs a value", pair[0]));
        };
        let number = |what: &str| {
            value
                .parse::<u64>()
                .map_err(|_| format!("{what}: not a whole number: {value}"))
        };
        match flag.as_str() {
            "--requests" => flags.requests = number("--requests")?,
            "--objects" => flags.objects = number("--objects")?,
            "--alpha" => flags.alpha = value.parse().map_err(|_| format!("--alpha: {value}"))?,
            "--seed" => flags.seed = number("--seed")?,
            "--rate" => flags.rate = number("--rate")?.max(1),
            "--min-size" => flags.min_size = number("--min-size")? as u32,
            "--max-size" => flags.max_size = number("--max-size")? as u32,
            "--out" => flags.out = value.clone(),
            other => return Err(format!("unknown flag {other}")),
        }
    }
    if flags.out.is_empty() || flags.min_size == 0 || flags.min_size > flags.max_size {
        return Err("give --out, and 0 < --min-size <= --max-size".to_string());
    }
    Ok(flags)
}

fn main() -> ExitCode {
    let flags = match parse() {
        Ok(flags) => flags,
        Err(message) => {
            eprintln!("error: {message}");
            return ExitCode::from(2);
        }
    };
    let mut keys = match KeyPopularity::zipf(flags.objects, flags.alpha) {
        Ok(keys) => keys,
        Err(error) => {
            eprintln!("error: {error}");
            return ExitCode::from(2);
        }
    };
    let mut key_rng = stream(flags.seed, StreamLabel::new(StreamKind::Workload, 0));
    let mut size_rng = stream(flags.seed, StreamLabel::new(StreamKind::Workload, 1));
    let (low, high) = (
        f64::from(flags.min_size).ln(),
        f64::from(flags.max_size).ln(),
    );
    let sizes: Vec<u32> = (0..flags.objects)
        .map(|_| size_rng.random_range(low..=high).exp().round() as u32)
        .collect();
    let mut records: Vec<TraceRecord> = (0..flags.requests)
        .map(|i| {
            let key: KeyId = keys.sample(&mut key_rng);
            TraceRecord {
                time_ns: i / flags.rate * 1_000_000_000,
                key,
                size_bytes: sizes[key.0 as usize],
                op: Op::Read,
                next_access_vtime: None,
            }
        })
        .collect();
    if flags.next_access {
        set_next_access_vtime(&mut records);
    }
    let compression = if flags.out.ends_with(".zst") {
        Compression::Zstd
    } else {
        Compression::None
    };
    let written = File::create(&flags.out)
        .map_err(|e| e.to_string())
        .and_then(|file| {
            write_oracle_general(BufWriter::new(file), records, compression)
                .map_err(|e| e.to_string())
        });
    match written {
        Ok(n) => {
            println!("wrote {n} requests to {}", flags.out);
            ExitCode::SUCCESS
        }
        Err(message) => {
            eprintln!("error: cannot write {}: {message}", flags.out);
            ExitCode::from(1)
        }
    }
}
