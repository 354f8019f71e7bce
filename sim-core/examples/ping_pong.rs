//! Ping-pong: raw engine throughput on a message-heavy workload with the full network model.
//!
//! ```text
//! cargo run --release -p sim-core --example ping_pong -- --nodes 1000 --peers 10 --duration 1s --seed 1
//! ```
//!
//! `N` nodes each keep one 100-byte message in flight to each of `K` peers (node `i` serves to
//! nodes `i+1 ..= i+K`, mod `N`); every arrival is answered at once to its sender, so exactly
//! `N * K` messages are always in flight. Each message crosses the network model: a
//! log-normal one-way latency (median 250 us, sigma 0.5) plus serialization on the sender's
//! 10 Gbit/s link.
//!
//! What it measures is the engine's cost per delivered message: popping the event, the
//! liveness and partition checks, the digest, the node's handler, and on `send` the latency
//! draw from the sender's network stream, the link's serialization bookkeeping and the push of
//! the arrival event, with `N * K` events pending. Nodes do no work of their own, so the rate
//! is an upper bound for models built on the engine. The last line (`distsim ping_pong ...`)
//! is meant for scripts; wall time covers the run only, not building the nodes.
//!
//! `benches/benches/engine.rs` ("ping_pong") measures the same workload under criterion; its
//! builder in `benches/src/lib.rs` mirrors the nodes here (sim-core cannot depend on it).

use std::process::ExitCode;
use std::time::Instant;

use sim_core::{
    Ctx, Distribution, Message, NetworkConfig, Node, NodeId, SimConfig, SimDuration, SimTime,
    Simulation,
};

/// 250 us: median one-way latency inside a data centre, in nanoseconds.
const LATENCY_MEDIAN_NS: f64 = 250_000.0;
/// Log-space spread of the latency: p99 is about 3.2x the median.
const LATENCY_SIGMA: f64 = 0.5;
/// 10 Gbit/s: each sender's link; a 100-byte message takes 80 ns to serialize.
const BANDWIDTH_BPS: u64 = 10_000_000_000;
/// Bytes on the wire per message: a small RPC.
const MESSAGE_BYTES: u64 = 100;

/// The one message: its content does not matter, only its size.
#[derive(Clone, Debug)]
struct Ball;

impl Message for Ball {
    fn size_bytes(&self) -> u64 {
        MESSAGE_BYTES
    }
}

/// Serves one ball to each of its `n_peers` successors, then returns every ball it receives.
struct Player {
    n_peers: u32,
}

impl Node for Player {
    type Msg = Ball;

    fn on_start(&mut self, ctx: &mut Ctx<'_, Ball>) {
        let n_nodes = u64::from(ctx.n_nodes());
        let me = u64::from(ctx.id().0);
        for offset in 1..=u64::from(self.n_peers) {
            let peer = u32::try_from((me + offset) % n_nodes).expect("below n_nodes, a u32");
            ctx.send(NodeId(peer), Ball);
        }
    }

    fn on_message(&mut self, ctx: &mut Ctx<'_, Ball>, from: NodeId, ball: Ball) {
        ctx.send(from, ball);
    }
}

struct Args {
    n_nodes: u32,
    n_peers: u32,
    duration: SimDuration,
    seed: u64,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        n_nodes: 1000,
        n_peers: 10,
        duration: SimDuration::from_secs(1),
        seed: 1,
    };
    let mut iter = std::env::args().skip(1);
    while let Some(flag) = iter.next() {
        let value = iter.next().ok_or_else(|| format!("{flag} needs a value"))?;
        let bad = |e: &dyn std::fmt::Display| format!("{flag} {value:?}: {e}");
        match flag.as_str() {
            "--nodes" => args.n_nodes = value.parse().map_err(|e| bad(&e))?,
            "--peers" => args.n_peers = value.parse().map_err(|e| bad(&e))?,
            "--duration" => args.duration = SimDuration::parse(&value).map_err(|e| bad(&e))?,
            "--seed" => args.seed = value.parse().map_err(|e| bad(&e))?,
            _ => {
                return Err(format!(
                    "unknown flag {flag}; expected --nodes, --peers, --duration, --seed"
                ))
            }
        }
    }
    if args.n_peers == 0 {
        return Err("--peers must be at least 1".to_string());
    }
    if args.n_peers >= args.n_nodes {
        return Err(format!(
            "--peers {} needs at least {} nodes, got --nodes {} (a node is not its own peer)",
            args.n_peers,
            u64::from(args.n_peers) + 1,
            args.n_nodes
        ));
    }
    Ok(args)
}

fn build(args: &Args) -> Simulation<Player> {
    let mut sim = Simulation::new(SimConfig::with_seed(args.seed));
    sim.reserve_nodes(args.n_nodes as usize);
    for _ in 0..args.n_nodes {
        sim.add_node(Player {
            n_peers: args.n_peers,
        });
    }
    let latency = Distribution::lognormal_median(LATENCY_MEDIAN_NS, LATENCY_SIGMA)
        .expect("constant parameters are valid");
    let mut network = NetworkConfig::new(latency);
    network
        .set_bandwidth_bps(Some(BANDWIDTH_BPS))
        .expect("constant bandwidth is > 0");
    sim.set_network(network)
        .expect("no rule names a node or zone");
    sim
}

fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(args) => args,
        Err(message) => {
            eprintln!("error: {message}");
            return ExitCode::from(2);
        }
    };
    let mut sim = build(&args);
    let end = SimTime::ZERO + args.duration;
    let wall = Instant::now();
    let summary = match sim.run_until(end) {
        Ok(summary) => summary,
        Err(error) => {
            eprintln!("error: {error}");
            return ExitCode::from(1);
        }
    };
    let wall_s = wall.elapsed().as_secs_f64();

    let delivered = sim.metrics().counter_by_name("net.delivered");
    let in_flight = u64::from(args.n_nodes) * u64::from(args.n_peers);
    // Every delivery is answered at once, so the number in flight never changes.
    assert_eq!(sim.pending() as u64, in_flight, "messages in flight");
    let events_per_s = summary.events as f64 / wall_s;
    println!(
        "ping_pong nodes={} peers={} seed={} in_flight={in_flight}",
        args.n_nodes, args.n_peers, args.seed
    );
    println!("messages delivered: {delivered}");
    println!("simulated seconds:  {:.6}", summary.end.as_secs_f64());
    println!("wall seconds:       {wall_s:.3}");
    println!(
        "distsim ping_pong nodes={} peers={} events={} wall_s={wall_s:.3} events_per_s={events_per_s:.0}",
        args.n_nodes, args.n_peers, summary.events
    );
    ExitCode::SUCCESS
}
