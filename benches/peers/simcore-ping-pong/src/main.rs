//! Ping-pong rounds on SimCore (the `simcore` crate, DSLab's discrete-event framework), written
//! the way its callback examples are: one component per process implementing `EventHandler`,
//! events as plain `Clone + Serialize` structs matched with `cast!`, every random draw from the
//! simulation's seeded RNG through `SimulationContext`.
//!
//! The workload (the same as distsim's `peer_ping_pong`): `P` processes; process `i`'s peers
//! are `i+1 ..= i+K` (mod `P`). Each process runs `I` rounds; a round sends a `Ping` to a peer
//! chosen uniformly among its `K`, and the peer answers with a `Pong` at once. Every message
//! takes 1 ms + U[0, 0.1 ms) one way. All processes start their first round at time 0, so `P`
//! pings are in flight at any time and the run has `2 * P * I` message events.
//!
//! Output (one line, parsed by `../compare-ping-pong.sh`):
//! `simcore processes=P peers=K rounds=I events=E wall_s=S events_per_s=R peak_rss_mb=M`
//! Wall time covers the simulation run (`step_until_no_events`), not building the processes;
//! peak RSS (the kernel's `VmHWM`) covers the whole process.

use std::cell::RefCell;
use std::process::exit;
use std::rc::Rc;
use std::time::Instant;

use serde::Serialize;
use simcore::{cast, Event, EventHandler, Id, Simulation, SimulationContext};

/// One-way delay: 1 ms ...
const DELAY_BASE_S: f64 = 0.001;
/// ... plus U[0, 0.1 ms).
const DELAY_JITTER_S: f64 = 0.0001;

#[derive(Clone, Serialize)]
struct Ping {}

#[derive(Clone, Serialize)]
struct Pong {}

struct Process {
    ctx: SimulationContext,
    /// Every process's id, by index (shared).
    ids: Rc<Vec<Id>>,
    index: usize,
    peers: usize,
    rounds_left: u64,
    pongs: u64,
}

impl Process {
    fn delay(&self) -> f64 {
        DELAY_BASE_S + self.ctx.gen_range(0.0..DELAY_JITTER_S)
    }

    fn ping(&mut self) {
        self.rounds_left -= 1;
        let offset = self.ctx.gen_range(1..=self.peers);
        let peer = self.ids[(self.index + offset) % self.ids.len()];
        self.ctx.emit(Ping {}, peer, self.delay());
    }
}

impl EventHandler for Process {
    fn on(&mut self, event: Event) {
        cast!(match event.data {
            Ping {} => {
                self.ctx.emit(Pong {}, event.src, self.delay());
            }
            Pong {} => {
                self.pongs += 1;
                if self.rounds_left > 0 {
                    self.ping();
                }
            }
        })
    }
}

struct Args {
    processes: usize,
    peers: usize,
    rounds: u64,
    seed: u64,
}

const USAGE: &str = "usage: simcore-ping-pong [--processes P] [--peers K] [--rounds I] [--seed S]";

fn usage(msg: &str) -> ! {
    eprintln!("error: {msg}");
    eprintln!("{USAGE}");
    exit(2);
}

fn parse_value<T: std::str::FromStr>(flag: &str, value: &str) -> T {
    value.parse().unwrap_or_else(|_| usage(&format!("bad value for {flag}: {value}")))
}

fn parse_args() -> Args {
    let mut args = Args { processes: 1000, peers: 10, rounds: 10_000, seed: 1 };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        if flag == "-h" || flag == "--help" {
            println!("{USAGE}");
            exit(0);
        }
        let value = it.next().unwrap_or_else(|| usage(&format!("{flag} needs a value")));
        match flag.as_str() {
            "--processes" => args.processes = parse_value(&flag, &value),
            "--peers" => args.peers = parse_value(&flag, &value),
            "--rounds" => args.rounds = parse_value(&flag, &value),
            "--seed" => args.seed = parse_value(&flag, &value),
            _ => usage(&format!("unknown argument {flag}")),
        }
    }
    if args.peers == 0 || args.peers >= args.processes {
        usage("need 1 <= --peers < --processes (a process is not its own peer)");
    }
    if args.rounds == 0 {
        usage("--rounds must be at least 1");
    }
    args
}

/// The process's peak resident set in MB (`VmHWM` from /proc/self/status), 0 if unreadable.
fn peak_rss_mb() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0)
}

fn main() {
    let args = parse_args();

    let mut sim = Simulation::new(args.seed);
    let contexts: Vec<SimulationContext> =
        (0..args.processes).map(|i| sim.create_context(format!("p{i}"))).collect();
    let ids = Rc::new(contexts.iter().map(SimulationContext::id).collect::<Vec<Id>>());
    let mut processes = Vec::with_capacity(args.processes);
    for (index, ctx) in contexts.into_iter().enumerate() {
        let name = ctx.name().to_string();
        let process = Rc::new(RefCell::new(Process {
            ctx,
            ids: ids.clone(),
            index,
            peers: args.peers,
            rounds_left: args.rounds,
            pongs: 0,
        }));
        sim.add_handler(name, process.clone());
        processes.push(process);
    }
    for process in &processes {
        process.borrow_mut().ping();
    }

    let start = Instant::now();
    sim.step_until_no_events();
    let wall_s = start.elapsed().as_secs_f64();

    let pongs: u64 = processes.iter().map(|p| p.borrow().pongs).sum();
    assert_eq!(pongs, args.rounds * args.processes as u64, "every round ends with its pong");
    let events = sim.event_count();
    println!(
        "simcore processes={} peers={} rounds={} events={} wall_s={:.6} events_per_s={:.0} peak_rss_mb={:.1}",
        args.processes,
        args.peers,
        args.rounds,
        events,
        wall_s,
        events as f64 / wall_s,
        peak_rss_mb()
    );
}
