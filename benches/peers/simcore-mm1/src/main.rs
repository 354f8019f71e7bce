//! M/M/1 queue on SimCore (the `simcore` crate, DSLab's discrete-event framework), written the way
//! its callback examples are: components implement `EventHandler`, events are plain
//! `Clone + Serialize` structs matched with `cast!`, and all randomness comes from the
//! simulation's seeded RNG (`Simulation::new(seed)`, drawn through `SimulationContext`).
//!
//! * `Source` draws exponential inter-arrival times (rate `lambda`) and, at each arrival instant,
//!   sends an `Arrival` to the server, until `customers` customers have been generated.
//! * `Server` is a single FIFO server with exponential service (rate `mu`); it records each
//!   customer's sojourn time (departure - arrival).
//!
//! Output (one line, parsed by `../compare-engine.sh`):
//! `simcore customers=<N> wall_s=<s> customers_per_s=<rate> mean_sojourn=<value>`
//! Wall time covers the simulation run only (`step_until_no_events`), not setup.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::process::exit;
use std::rc::Rc;
use std::time::Instant;

use rand_distr::Exp;
use serde::Serialize;
use simcore::{cast, Event, EventHandler, Id, Simulation, SimulationContext};

/// Self-event of the source: "a customer arrives now".
#[derive(Clone, Serialize)]
struct Generate {}

/// Customer arriving at the server; carries its arrival time.
#[derive(Clone, Serialize)]
struct Arrival {
    time: f64,
}

/// Self-event of the server: the customer in service (arrived at `arrival_time`) leaves.
#[derive(Clone, Serialize)]
struct Departure {
    arrival_time: f64,
}

struct Source {
    ctx: SimulationContext,
    server: Id,
    interarrival: Exp<f64>,
    remaining: u64,
}

impl Source {
    fn schedule_next(&self) {
        let delay = self.ctx.sample_from_distribution(&self.interarrival);
        self.ctx.emit_self(Generate {}, delay);
    }
}

impl EventHandler for Source {
    fn on(&mut self, event: Event) {
        cast!(match event.data {
            Generate {} => {
                self.ctx.emit_now(Arrival { time: self.ctx.time() }, self.server);
                self.remaining -= 1;
                if self.remaining > 0 {
                    self.schedule_next();
                }
            }
        })
    }
}

struct Server {
    ctx: SimulationContext,
    service: Exp<f64>,
    busy: bool,
    /// Arrival times of the customers waiting (not in service), FIFO.
    queue: VecDeque<f64>,
    served: u64,
    sojourn_sum: f64,
}

impl Server {
    fn start_service(&mut self, arrival_time: f64) {
        self.busy = true;
        let delay = self.ctx.sample_from_distribution(&self.service);
        self.ctx.emit_self(Departure { arrival_time }, delay);
    }
}

impl EventHandler for Server {
    fn on(&mut self, event: Event) {
        cast!(match event.data {
            Arrival { time } => {
                if self.busy {
                    self.queue.push_back(time);
                } else {
                    self.start_service(time);
                }
            }
            Departure { arrival_time } => {
                self.served += 1;
                self.sojourn_sum += self.ctx.time() - arrival_time;
                match self.queue.pop_front() {
                    Some(next) => self.start_service(next),
                    None => self.busy = false,
                }
            }
        })
    }
}

struct Args {
    lambda: f64,
    mu: f64,
    customers: u64,
    seed: u64,
}

fn usage(msg: &str) -> ! {
    eprintln!("error: {msg}");
    eprintln!("usage: simcore-mm1 [--lambda L] [--mu M] [--customers N] [--seed S]");
    exit(2);
}

fn parse_value<T: std::str::FromStr>(flag: &str, value: &str) -> T {
    value.parse().unwrap_or_else(|_| usage(&format!("bad value for {flag}: {value}")))
}

fn parse_args() -> Args {
    let mut args = Args { lambda: 1.0, mu: 1.1, customers: 1_000_000, seed: 1 };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        if flag == "-h" || flag == "--help" {
            println!("usage: simcore-mm1 [--lambda L] [--mu M] [--customers N] [--seed S]");
            exit(0);
        }
        let value = it.next().unwrap_or_else(|| usage(&format!("{flag} needs a value")));
        match flag.as_str() {
            "--lambda" => args.lambda = parse_value(&flag, &value),
            "--mu" => args.mu = parse_value(&flag, &value),
            "--customers" => args.customers = parse_value(&flag, &value),
            "--seed" => args.seed = parse_value(&flag, &value),
            _ => usage(&format!("unknown argument {flag}")),
        }
    }
    if !(args.lambda > 0.0 && args.lambda.is_finite()) {
        usage("--lambda must be a positive number");
    }
    if !(args.mu > 0.0 && args.mu.is_finite()) {
        usage("--mu must be a positive number");
    }
    if args.customers == 0 {
        usage("--customers must be at least 1");
    }
    args
}

fn main() {
    let args = parse_args();

    let mut sim = Simulation::new(args.seed);
    let server = Rc::new(RefCell::new(Server {
        ctx: sim.create_context("server"),
        service: Exp::new(args.mu).expect("mu > 0"),
        busy: false,
        queue: VecDeque::new(),
        served: 0,
        sojourn_sum: 0.0,
    }));
    let server_id = sim.add_handler("server", server.clone());
    let source = Rc::new(RefCell::new(Source {
        ctx: sim.create_context("source"),
        server: server_id,
        interarrival: Exp::new(args.lambda).expect("lambda > 0"),
        remaining: args.customers,
    }));
    sim.add_handler("source", source.clone());
    source.borrow().schedule_next();

    let start = Instant::now();
    sim.step_until_no_events();
    let wall_s = start.elapsed().as_secs_f64();

    let server = server.borrow();
    assert_eq!(server.served, args.customers, "every generated customer is served");
    let mean_sojourn = server.sojourn_sum / server.served as f64;
    println!(
        "simcore customers={} wall_s={:.6} customers_per_s={:.0} mean_sojourn={:.6}",
        server.served,
        wall_s,
        server.served as f64 / wall_s,
        mean_sojourn
    );
}
