//! Shared workloads for distsim's benchmarks, so that the criterion benches, the memory probe
//! and the peer comparison scripts measure the same thing.
//!
//! Each builder returns a ready [`Simulation`] at time zero, with its nodes added and their
//! `Start` events pending; the caller decides how far to run it and what to time:
//!
//! - [`hold_model`]: the classic "hold" benchmark of event-set implementations (Vaucher and
//!   Duval, "A comparison of simulation event list algorithms", CACM 18(4), 1975): a fixed
//!   number of pending events, each replaced by one new event when processed. It isolates the
//!   event queue plus the timer path.
//! - [`ping_pong`]: nodes bouncing messages over the full network model (latency draws,
//!   bandwidth), the same workload as `sim-core/examples/ping_pong.rs`.
//! - [`rounds_ping_pong`]: processes playing request/response rounds with random peers over a
//!   plain-latency network, the workload of the SimCore comparison in `benches/peers/`.
//! - [`mm1`]: an M/M/1 queue on the engine's service model, the same workload as
//!   `sim-core/examples/mm1.rs` and the peer comparison in `benches/peers/`.
//!
//! The workloads do no work of their own, so their rates are upper bounds for real models.
//! This crate does no timing and no I/O; the benches and binaries that use it do.
//!
//! # Example
//!
//! ```
//! use distsim_benches::{hold_horizon, hold_model};
//! use sim_core::SimTime;
//!
//! let mut sim = hold_model(1_000, 7);
//! let end = SimTime::ZERO + hold_horizon(1_000, 10_000);
//! let summary = sim.run_until(end).unwrap();
//! assert_eq!(sim.pending(), 1_000); // Each processed timer set exactly one more.
//! assert!(summary.events > 9_000 && summary.events < 12_000);
//! ```
#![deny(missing_docs)]

use std::num::NonZeroU32;

use rand::Rng;

use sim_core::{
    Admission, CompletedWork, Ctx, Distribution, Message, NetworkConfig, Node, NodeId, OpKind,
    ServiceModel, SimConfig, SimDuration, Simulation, TimerTag,
};

/// 1 ms in nanoseconds: the hold model's mean delay. Arbitrary: only `pending / mean` (the
/// event rate in simulated time) matters, and [`hold_horizon`] accounts for it.
pub const HOLD_DELAY_MEAN_NS: f64 = 1e6;

/// 250 us: ping-pong's median one-way latency inside a data centre, in nanoseconds.
pub const PING_PONG_LATENCY_MEDIAN_NS: f64 = 250_000.0;
/// Log-space spread of ping-pong's latency: p99 is about 3.2x the median.
pub const PING_PONG_LATENCY_SIGMA: f64 = 0.5;
/// 10 Gbit/s: each ping-pong sender's link; a message takes 80 ns to serialize.
pub const PING_PONG_BANDWIDTH_BPS: u64 = 10_000_000_000;
/// Bytes on the wire per ping-pong message: a small RPC.
pub const PING_PONG_MESSAGE_BYTES: u64 = 100;

/// 1 ms in nanoseconds: the time unit of [`mm1`]'s rates, as in the `mm1` example.
pub const MM1_UNIT_NS: f64 = 1e6;

/// The one message of every workload here; only its size matters.
#[derive(Clone, Copy, Debug)]
pub struct Token;

impl Message for Token {
    fn size_bytes(&self) -> u64 {
        PING_PONG_MESSAGE_BYTES
    }
}

/// The hold model's only node: keeps `pending` timers set, each replaced when it fires.
#[derive(Debug)]
pub struct HoldNode {
    pending: usize,
    delay: Distribution,
}

impl Node for HoldNode {
    type Msg = Token;

    fn on_start(&mut self, ctx: &mut Ctx<'_, Token>) {
        for _ in 0..self.pending {
            self.on_timer(ctx, TimerTag(0));
        }
    }

    fn on_message(&mut self, _: &mut Ctx<'_, Token>, _: NodeId, _: Token) {}

    // The whole per-event work of the model: one exponential draw and one timer.
    fn on_timer(&mut self, ctx: &mut Ctx<'_, Token>, _: TimerTag) {
        let delay = self.delay.sample_duration(ctx.rng());
        ctx.set_timer(delay, TimerTag(0));
    }
}

/// The "hold" workload: one node that keeps `pending` timers pending. On start it sets
/// `pending` timers with exponential delays (mean [`HOLD_DELAY_MEAN_NS`]) drawn from its own
/// stream, and each timer that fires sets exactly one new one at `now + Exp(mean)`.
///
/// After the `Start` event the queue holds exactly `pending` events forever, so a run
/// measures pop + push at that queue size. Events arrive as a Poisson process of rate
/// `pending / mean` (each timer chain is one, by memorylessness); [`hold_horizon`] converts
/// an event count to simulated time.
///
/// # Panics
///
/// If `pending` is 0: the run would end at once and measure nothing.
pub fn hold_model(pending: usize, seed: u64) -> Simulation<HoldNode> {
    assert!(
        pending > 0,
        "the hold model needs at least one pending event"
    );
    let delay = Distribution::exponential(HOLD_DELAY_MEAN_NS).expect("constant mean is > 0");
    let mut sim = Simulation::new(SimConfig::with_seed(seed));
    sim.add_node(HoldNode { pending, delay });
    sim
}

/// The simulated time in which the hold model with `pending` events processes `events` events
/// on average: `events * mean / pending`. The actual count is Poisson, so it is within a few
/// `sqrt(events)` of `events`.
pub fn hold_horizon(pending: usize, events: u64) -> SimDuration {
    assert!(
        pending > 0,
        "the hold model needs at least one pending event"
    );
    SimDuration::from_nanos_f64(events as f64 * HOLD_DELAY_MEAN_NS / pending as f64)
}

/// A ping-pong node: serves one token to each of its `n_peers` successors (mod the number of
/// nodes), then returns every token it receives to its sender.
#[derive(Debug)]
pub struct PingPongNode {
    n_peers: u32,
}

impl Node for PingPongNode {
    type Msg = Token;

    fn on_start(&mut self, ctx: &mut Ctx<'_, Token>) {
        let n_nodes = u64::from(ctx.n_nodes());
        let me = u64::from(ctx.id().0);
        for offset in 1..=u64::from(self.n_peers) {
            let peer = u32::try_from((me + offset) % n_nodes).expect("below n_nodes, a u32");
            ctx.send(NodeId(peer), Token);
        }
    }

    fn on_message(&mut self, ctx: &mut Ctx<'_, Token>, from: NodeId, token: Token) {
        ctx.send(from, token);
    }
}

/// The ping-pong workload: `n_nodes` nodes, each keeping one 100-byte message in flight to
/// each of `n_peers` peers (node `i` serves to `i+1 ..= i+n_peers`, mod `n_nodes`). Every
/// arrival is answered at once, so after the `Start` events exactly `n_nodes * n_peers`
/// messages are in flight. Latency is log-normal (median [`PING_PONG_LATENCY_MEDIAN_NS`],
/// sigma [`PING_PONG_LATENCY_SIGMA`]), each sender's link [`PING_PONG_BANDWIDTH_BPS`].
///
/// # Panics
///
/// Unless `1 <= n_peers < n_nodes` (a node is not its own peer).
pub fn ping_pong(n_nodes: u32, n_peers: u32, seed: u64) -> Simulation<PingPongNode> {
    assert!(n_peers >= 1, "ping-pong needs at least one peer per node");
    assert!(
        n_peers < n_nodes,
        "{n_peers} peers need more than {n_nodes} nodes"
    );
    let mut sim = Simulation::new(SimConfig::with_seed(seed));
    sim.reserve_nodes(n_nodes as usize);
    for _ in 0..n_nodes {
        sim.add_node(PingPongNode { n_peers });
    }
    let latency =
        Distribution::lognormal_median(PING_PONG_LATENCY_MEDIAN_NS, PING_PONG_LATENCY_SIGMA)
            .expect("constant parameters are valid");
    let mut network = NetworkConfig::new(latency);
    network
        .set_bandwidth_bps(Some(PING_PONG_BANDWIDTH_BPS))
        .expect("constant bandwidth is > 0");
    sim.set_network(network)
        .expect("no rule names a node or zone");
    sim
}

/// Lower bound of [`rounds_ping_pong`]'s one-way delay: 1 ms, in nanoseconds.
pub const ROUNDS_DELAY_LOW_NS: f64 = 1e6;
/// Upper bound (exclusive) of [`rounds_ping_pong`]'s one-way delay: 1.1 ms, in nanoseconds.
pub const ROUNDS_DELAY_HIGH_NS: f64 = 1.1e6;

/// A message of [`rounds_ping_pong`]: the request of a round or its answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Round {
    /// A round's request, sent to a random peer.
    Ping,
    /// The peer's answer; it ends the round.
    Pong,
}

impl Message for Round {
    fn size_bytes(&self) -> u64 {
        PING_PONG_MESSAGE_BYTES
    }
}

/// A [`rounds_ping_pong`] process: plays `rounds` rounds, each a ping to a peer drawn
/// uniformly from its `n_peers` successors (mod the number of nodes) and the peer's pong.
#[derive(Debug)]
pub struct RoundsNode {
    n_peers: u32,
    rounds_left: u64,
    pongs: u64,
}

impl RoundsNode {
    /// Rounds this process has finished (pongs received).
    pub fn pongs(&self) -> u64 {
        self.pongs
    }

    fn ping(&mut self, ctx: &mut Ctx<'_, Round>) {
        self.rounds_left -= 1;
        let offset = u64::from(ctx.rng().random_range(1..=self.n_peers));
        let peer = (u64::from(ctx.id().0) + offset) % u64::from(ctx.n_nodes());
        ctx.send(
            NodeId(u32::try_from(peer).expect("below n_nodes, a u32")),
            Round::Ping,
        );
    }
}

impl Node for RoundsNode {
    type Msg = Round;

    fn on_start(&mut self, ctx: &mut Ctx<'_, Round>) {
        if self.rounds_left > 0 {
            self.ping(ctx);
        }
    }

    fn on_message(&mut self, ctx: &mut Ctx<'_, Round>, from: NodeId, msg: Round) {
        match msg {
            Round::Ping => ctx.send(from, Round::Pong),
            Round::Pong => {
                self.pongs += 1;
                if self.rounds_left > 0 {
                    self.ping(ctx);
                }
            }
        }
    }
}

/// The peer comparison's ping-pong: `n_nodes` processes, each playing `rounds` rounds; a
/// round is a ping to a peer drawn uniformly from the process's `n_peers` successors
/// (`i+1 ..= i+n_peers`, mod `n_nodes`) and the peer's immediate pong. One-way delay
/// U[[`ROUNDS_DELAY_LOW_NS`], [`ROUNDS_DELAY_HIGH_NS`]) (1 ms + U[0, 0.1 ms)), no bandwidth
/// limit. Every process starts at time 0, so `n_nodes` rounds are always in progress; run it
/// with `run_until_idle`: it ends after `2 * n_nodes * rounds` message events plus one
/// `Start` per node. The same workload as `benches/peers/simcore-ping-pong`.
///
/// # Panics
///
/// Unless `1 <= n_peers < n_nodes` (a process is not its own peer).
pub fn rounds_ping_pong(
    n_nodes: u32,
    n_peers: u32,
    rounds: u64,
    seed: u64,
) -> Simulation<RoundsNode> {
    assert!(
        n_peers >= 1,
        "ping-pong needs at least one peer per process"
    );
    assert!(
        n_peers < n_nodes,
        "{n_peers} peers need more than {n_nodes} processes"
    );
    let mut sim = Simulation::new(SimConfig::with_seed(seed));
    sim.reserve_nodes(n_nodes as usize);
    for _ in 0..n_nodes {
        sim.add_node(RoundsNode {
            n_peers,
            rounds_left: rounds,
            pongs: 0,
        });
    }
    let latency = Distribution::uniform(ROUNDS_DELAY_LOW_NS, ROUNDS_DELAY_HIGH_NS)
        .expect("constant bounds are valid");
    sim.set_network(NetworkConfig::new(latency))
        .expect("no rule names a node or zone");
    sim
}

/// The M/M/1 node: the Poisson source (timers) and the server (its service model) in one.
#[derive(Debug)]
pub struct Mm1Node {
    interarrival: Distribution,
    customers: u64,
    arrived: u64,
}

impl Mm1Node {
    /// Customers that have arrived so far.
    pub fn arrived(&self) -> u64 {
        self.arrived
    }

    fn schedule_arrival(&mut self, ctx: &mut Ctx<'_, Token>) {
        let delay = self.interarrival.sample_duration(ctx.rng());
        ctx.set_timer(delay, TimerTag(0));
    }
}

impl Node for Mm1Node {
    type Msg = Token;

    fn on_start(&mut self, ctx: &mut Ctx<'_, Token>) {
        self.schedule_arrival(ctx);
    }

    fn on_message(&mut self, _: &mut Ctx<'_, Token>, _: NodeId, _: Token) {}

    fn on_timer(&mut self, ctx: &mut Ctx<'_, Token>, _: TimerTag) {
        self.arrived += 1;
        match ctx.submit_work(OpKind(0), Token) {
            Admission::Started | Admission::Queued => {}
            other => unreachable!("an unbounded queue admits everything, got {other:?}"),
        }
        if self.arrived < self.customers {
            self.schedule_arrival(ctx);
        }
    }

    fn on_work_done(&mut self, _: &mut Ctx<'_, Token>, _: CompletedWork<Token>) {}
}

/// The M/M/1 workload: one node whose timer-driven Poisson arrivals (rate `lambda`) feed its
/// own service model (one worker, unbounded FIFO queue, exponential service at rate `mu`),
/// until `customers` have arrived. Rates are per [`MM1_UNIT_NS`] (per millisecond), as in the
/// `mm1` example. Run it with `run_until_idle`: it ends when the last customer leaves, after
/// exactly `2 * customers + 1` events (an arrival and a service completion per customer,
/// plus the node's start).
///
/// # Panics
///
/// Unless `lambda` and `mu` are finite and > 0 and `customers` >= 1.
pub fn mm1(lambda: f64, mu: f64, customers: u64, seed: u64) -> Simulation<Mm1Node> {
    assert!(
        lambda > 0.0 && lambda.is_finite(),
        "lambda {lambda} must be finite and > 0"
    );
    assert!(mu > 0.0 && mu.is_finite(), "mu {mu} must be finite and > 0");
    assert!(
        customers >= 1,
        "the M/M/1 workload needs at least one customer"
    );
    let service = Distribution::exponential(MM1_UNIT_NS / mu).expect("mu checked");
    let interarrival = Distribution::exponential(MM1_UNIT_NS / lambda).expect("lambda checked");
    let mut sim = Simulation::new(SimConfig::with_seed(seed));
    let node = sim.add_node(Mm1Node {
        interarrival,
        customers,
        arrived: 0,
    });
    let model = sim.add_service_model(ServiceModel::new("mm1", NonZeroU32::MIN, service));
    sim.set_service(node, model)
        .expect("the node and model exist");
    sim
}

#[cfg(test)]
mod tests {
    use super::*;
    use sim_core::SimTime;

    // Goal: each workload keeps the invariant the benches rely on. Method: run a small
    // instance and check the pending count (hold, ping-pong) or the served count (M/M/1).
    #[test]
    fn hold_keeps_its_pending_count() {
        for pending in [1, 10, 1_000] {
            let mut sim = hold_model(pending, 3);
            let end = SimTime::ZERO + hold_horizon(pending, 20_000);
            let summary = sim.run_until(end).expect("within limits");
            assert_eq!(sim.pending(), pending);
            // Poisson count with mean 20 000 (plus the Start event): 10 sigma is 1 400.
            assert!(
                summary.events.abs_diff(20_000) < 1_400,
                "{}",
                summary.events
            );
        }
    }

    #[test]
    fn ping_pong_keeps_every_message_in_flight() {
        let mut sim = ping_pong(20, 3, 5);
        let end = SimTime::ZERO + SimDuration::from_millis(10);
        sim.run_until(end).expect("within limits");
        assert_eq!(sim.pending(), 60);
        assert!(sim.metrics().counter_by_name("net.delivered") > 60);
    }

    #[test]
    fn rounds_ping_pong_plays_every_round() {
        let mut sim = rounds_ping_pong(30, 4, 25, 2);
        let summary = sim.run_until_idle().expect("within limits");
        assert_eq!(summary.events, 2 * 30 * 25 + 30);
        for node in 0..30 {
            assert_eq!(sim.node(NodeId(node)).pongs(), 25);
        }
        // 50 one-way delays of at least 1 ms each, and below 1.1 ms each.
        let end = summary.end.as_nanos();
        assert!((50_000_000..55_000_000).contains(&end), "{end}");
    }

    #[test]
    fn mm1_serves_every_customer() {
        let mut sim = mm1(1.0, 1.1, 1_000, 9);
        let summary = sim.run_until_idle().expect("within limits");
        assert_eq!(summary.events, 2 * 1_000 + 1);
        assert_eq!(sim.node(NodeId(0)).arrived(), 1_000);
        assert_eq!(sim.node_stats(NodeId(0)).work_completed, 1_000);
    }
}
