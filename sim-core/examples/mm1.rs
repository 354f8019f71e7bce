//! M/M/1: an open Poisson source feeding one node's service model (one worker, FIFO queue,
//! exponential service), compared with queueing theory.
//!
//! ```text
//! cargo run --release -p sim-core --example mm1 -- --lambda 0.8 --mu 1.0 --customers 10000000 --seed 1
//! ```
//!
//! Rates are per time unit; one time unit is one simulated millisecond. The queue is the
//! engine's own service model, so this also checks it: theory says the sojourn time is
//! exponential with mean 1/(mu - lambda) and the waiting time is 0 with probability 1 - rho,
//! else exponential with the same rate (Kleinrock, Queueing Systems Vol. 1, section 3.2).
//! The last line (`distsim customers=...`) is what `benches/peers/compare-engine.sh` reads.

use std::num::NonZeroU32;
use std::process::ExitCode;
use std::time::Instant;

use sim_core::{
    Admission, CompletedWork, Ctx, Distribution, Message, Node, NodeId, OpKind, ServiceModel,
    SimConfig, Simulation, TimerTag,
};

/// 1 ms: one time unit of the rates given on the command line, in nanoseconds.
const UNIT_NS: f64 = 1e6;

#[derive(Clone, Debug)]
struct Customer;

impl Message for Customer {
    fn size_bytes(&self) -> u64 {
        0
    }
}

/// The source and the server in one node: arrivals are timers, service is the engine's.
/// It also keeps batch means of the sojourn time (100 batches of consecutive customers), the
/// standard way to put a confidence interval on a queue's mean from one long run (Law &
/// Kelton, Simulation Modeling and Analysis, 9.5.3): O(1) memory, no samples kept.
struct Mm1 {
    interarrival: Distribution,
    customers: u64,
    arrived: u64,
    batch_size: u64,
    batch_sum_ns: f64,
    batch_count: u64,
    batch_means_ns: Vec<f64>,
}

/// Batches for the confidence interval: 100 batches of 10^5 customers at the default 10^7,
/// each far longer than the queue's relaxation time (~1/(mu (1 - sqrt(rho))^2) ≈ 90 ms at
/// rho = 0.8, i.e. ~70 customers), so batch means are nearly independent.
const N_BATCHES: u64 = 100;
/// Student t quantile, 0.9995 (two-sided 99.9%), 99 degrees of freedom (standard tables).
const T_999_DF99: f64 = 3.392;

impl Node for Mm1 {
    type Msg = Customer;

    fn on_start(&mut self, ctx: &mut Ctx<'_, Customer>) {
        self.schedule_arrival(ctx);
    }

    fn on_message(&mut self, _: &mut Ctx<'_, Customer>, _: NodeId, _: Customer) {}

    fn on_timer(&mut self, ctx: &mut Ctx<'_, Customer>, _: TimerTag) {
        self.arrived += 1;
        match ctx.submit_work(OpKind(0), Customer) {
            Admission::Started | Admission::Queued => {}
            other => unreachable!("an unbounded queue admits everything, got {other:?}"),
        }
        if self.arrived < self.customers {
            self.schedule_arrival(ctx);
        }
    }

    fn on_work_done(&mut self, ctx: &mut Ctx<'_, Customer>, work: CompletedWork<Customer>) {
        self.batch_sum_ns += (ctx.now() - work.submitted_at).as_nanos() as f64;
        self.batch_count += 1;
        if self.batch_count == self.batch_size {
            self.batch_means_ns
                .push(self.batch_sum_ns / self.batch_count as f64);
            (self.batch_sum_ns, self.batch_count) = (0.0, 0);
        }
    }
}

impl Mm1 {
    fn schedule_arrival(&mut self, ctx: &mut Ctx<'_, Customer>) {
        let delay = self.interarrival.sample_duration(ctx.rng());
        ctx.set_timer(delay, TimerTag(0));
    }
}

/// Compares the mean sojourn with theory, with a tolerance derived from the run: t times the
/// standard error of the batch means.
fn print_verdict(batch_means_ns: &[f64], rho: f64, rate: f64) {
    let n = batch_means_ns.len();
    if n < 2 || rho >= 1.0 {
        println!("(too few customers, or rho >= 1: no confidence interval)");
        return;
    }
    let mean = batch_means_ns.iter().sum::<f64>() / n as f64;
    let variance = batch_means_ns
        .iter()
        .map(|m| (m - mean).powi(2))
        .sum::<f64>()
        / (n - 1) as f64;
    let half_width = T_999_DF99 * (variance / n as f64).sqrt() / UNIT_NS;
    let (simulated, theory) = (mean / UNIT_NS, 1.0 / rate);
    let verdict = if (simulated - theory).abs() <= half_width {
        "agrees with theory"
    } else {
        "DISAGREES with theory"
    };
    println!(
        "mean sojourn {simulated:.4} ± {half_width:.4} ms (99.9%, {n} batch means) vs 1/(mu-lambda) = {theory:.4} ms: {verdict}"
    );
}

struct Args {
    lambda: f64,
    mu: f64,
    customers: u64,
    seed: u64,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        lambda: 0.8,
        mu: 1.0,
        customers: 1_000_000,
        seed: 1,
    };
    let mut iter = std::env::args().skip(1);
    while let Some(flag) = iter.next() {
        let value = iter.next().ok_or_else(|| format!("{flag} needs a value"))?;
        let bad = |e: &dyn std::fmt::Display| format!("{flag} {value:?}: {e}");
        match flag.as_str() {
            "--lambda" => args.lambda = value.parse().map_err(|e| bad(&e))?,
            "--mu" => args.mu = value.parse().map_err(|e| bad(&e))?,
            "--customers" => args.customers = value.parse().map_err(|e| bad(&e))?,
            "--seed" => args.seed = value.parse().map_err(|e| bad(&e))?,
            _ => {
                return Err(format!(
                    "unknown flag {flag}; expected --lambda, --mu, --customers, --seed"
                ))
            }
        }
    }
    if !(args.lambda > 0.0 && args.mu > 0.0 && args.lambda.is_finite() && args.mu.is_finite()) {
        return Err(format!(
            "--lambda and --mu must be finite and > 0, got {} and {}",
            args.lambda, args.mu
        ));
    }
    if args.customers == 0 {
        return Err("--customers must be at least 1".to_string());
    }
    Ok(args)
}

fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(args) => args,
        Err(message) => {
            eprintln!("error: {message}");
            return ExitCode::from(2);
        }
    };
    let rho = args.lambda / args.mu;
    let service = Distribution::exponential(UNIT_NS / args.mu).expect("mu validated");
    let interarrival = Distribution::exponential(UNIT_NS / args.lambda).expect("lambda validated");

    let mut sim = Simulation::new(SimConfig::with_seed(args.seed));
    let node = sim.add_node(Mm1 {
        interarrival,
        customers: args.customers,
        arrived: 0,
        batch_size: (args.customers / N_BATCHES).max(1),
        batch_sum_ns: 0.0,
        batch_count: 0,
        batch_means_ns: Vec::new(),
    });
    let model = sim.add_service_model(ServiceModel::new("mm1", NonZeroU32::MIN, service));
    sim.set_service(node, model).expect("node and model exist");

    let wall = Instant::now();
    let summary = match sim.run_until_idle() {
        Ok(summary) => summary,
        Err(error) => {
            eprintln!("error: {error}");
            return ExitCode::from(1);
        }
    };
    let wall_s = wall.elapsed().as_secs_f64();

    let metrics = sim.metrics();
    let wait = metrics
        .histogram_by_name("service.mm1.wait")
        .expect("registered");
    let sojourn = metrics
        .histogram_by_name("service.mm1.sojourn")
        .expect("registered");
    assert_eq!(sojourn.len(), args.customers, "every customer is served");
    let units = |ns: f64| ns / UNIT_NS;
    let rate = args.mu - args.lambda;
    println!(
        "M/M/1 lambda={} mu={} rho={rho:.3} customers={} seed={} (times in ms)",
        args.lambda, args.mu, args.customers, args.seed
    );
    println!(
        "{:<10} {:>10} {:>10} {:>10} {:>10} {:>10}",
        "", "mean", "p50", "p99", "p99.9", "source"
    );
    for (name, hist) in [("wait", wait), ("sojourn", sojourn)] {
        println!(
            "{:<10} {:>10.4} {:>10.4} {:>10.4} {:>10.4} {:>10}",
            name,
            units(hist.mean()),
            units(hist.value_at_quantile(0.5) as f64),
            units(hist.value_at_quantile(0.99) as f64),
            units(hist.value_at_quantile(0.999) as f64),
            "simulated"
        );
        // Quantiles of the theoretical distributions (see the module doc).
        let quantile = |p: f64| {
            if name == "sojourn" {
                -(1.0 - p).ln() / rate
            } else if p <= 1.0 - rho {
                0.0
            } else {
                (rho / (1.0 - p)).ln() / rate
            }
        };
        let mean = if name == "sojourn" {
            1.0 / rate
        } else {
            rho / rate
        };
        if rho < 1.0 {
            println!(
                "{:<10} {:>10.4} {:>10.4} {:>10.4} {:>10.4} {:>10}",
                "",
                mean,
                quantile(0.5),
                quantile(0.99),
                quantile(0.999),
                "theory"
            );
        }
    }
    print_verdict(&sim.node(node).batch_means_ns, rho, rate);
    let customers_per_s = args.customers as f64 / wall_s;
    let events_per_s = summary.events as f64 / wall_s;
    println!(
        "distsim customers={} events={} wall_s={wall_s:.3} customers_per_s={customers_per_s:.0} events_per_s={events_per_s:.0} mean_sojourn={:.4}",
        args.customers,
        summary.events,
        units(sojourn.mean())
    );
    ExitCode::SUCCESS
}
