//! The distsim side of the SimCore ping-pong comparison (`benches/peers/compare-ping-pong.sh`).
//!
//! ```text
//! cargo run --release -p distsim-benches --bin peer_ping_pong -- --processes 10000 --peers 10 --rounds 1000
//! ```
//!
//! Runs [`distsim_benches::rounds_ping_pong`] (`P` processes, each playing `I` rounds of a
//! ping to one of its `K` peers and the pong back, one-way delay 1 ms + U[0, 0.1 ms)) to the
//! end and prints one line, the same keys as `benches/peers/simcore-ping-pong`:
//!
//! `distsim processes=P peers=K rounds=I events=E wall_s=S events_per_s=R peak_rss_mb=M`
//!
//! `events` counts message deliveries (`2 * P * I`), as SimCore's `event_count` does; the
//! engine's `P` `Start` events are left out. Wall time covers the run, not building the nodes;
//! peak RSS (the kernel's `VmHWM`) covers the whole process.

use std::process::ExitCode;
use std::time::Instant;

use distsim_benches::rounds_ping_pong;
use sim_core::NodeId;

struct Args {
    processes: u32,
    peers: u32,
    rounds: u64,
    seed: u64,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        processes: 1000,
        peers: 10,
        rounds: 10_000,
        seed: 1,
    };
    let mut iter = std::env::args().skip(1);
    while let Some(flag) = iter.next() {
        let value = iter.next().ok_or_else(|| format!("{flag} needs a value"))?;
        let bad = |e: &dyn std::fmt::Display| format!("{flag} {value:?}: {e}");
        match flag.as_str() {
            "--processes" => args.processes = value.parse().map_err(|e| bad(&e))?,
            "--peers" => args.peers = value.parse().map_err(|e| bad(&e))?,
            "--rounds" => args.rounds = value.parse().map_err(|e| bad(&e))?,
            "--seed" => args.seed = value.parse().map_err(|e| bad(&e))?,
            _ => {
                return Err(format!(
                    "unknown flag {flag}; expected --processes, --peers, --rounds, --seed"
                ))
            }
        }
    }
    if args.peers == 0 || args.peers >= args.processes {
        return Err("need 1 <= --peers < --processes (a process is not its own peer)".into());
    }
    if args.rounds == 0 {
        return Err("--rounds must be at least 1".into());
    }
    Ok(args)
}

/// The process's peak resident set in MB (`VmHWM` from /proc/self/status), 0 if unreadable.
fn peak_rss_mb() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|rest| {
            rest.trim()
                .trim_end_matches("kB")
                .trim()
                .parse::<f64>()
                .ok()
        })
        .map_or(0.0, |kb| kb / 1024.0)
}

fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(args) => args,
        Err(message) => {
            eprintln!("error: {message}");
            return ExitCode::from(2);
        }
    };
    let mut sim = rounds_ping_pong(args.processes, args.peers, args.rounds, args.seed);
    let wall = Instant::now();
    let summary = match sim.run_until_idle() {
        Ok(summary) => summary,
        Err(error) => {
            eprintln!("error: {error}");
            return ExitCode::from(1);
        }
    };
    let wall_s = wall.elapsed().as_secs_f64();
    let pongs: u64 = (0..args.processes)
        .map(|i| sim.node(NodeId(i)).pongs())
        .sum();
    if pongs != args.rounds * u64::from(args.processes) {
        eprintln!(
            "error: {pongs} rounds ended, expected {}",
            args.rounds * u64::from(args.processes)
        );
        return ExitCode::from(1);
    }
    let events = summary.events - u64::from(args.processes);
    println!(
        "distsim processes={} peers={} rounds={} events={events} wall_s={wall_s:.6} events_per_s={:.0} peak_rss_mb={:.1}",
        args.processes,
        args.peers,
        args.rounds,
        events as f64 / wall_s,
        peak_rss_mb()
    );
    ExitCode::SUCCESS
}
