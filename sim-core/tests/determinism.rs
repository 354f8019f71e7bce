//! Determinism is tested, not hoped for: a non-trivial simulation (many nodes in several
//! zones, random latencies, loss, duplication, bandwidth, service queues, a crash, a partition,
//! a slow node and random crash processes) runs twice with the same seed and must produce the
//! same digest of every processed event, the same metrics and the same trace, byte for byte;
//! a different seed must produce a different digest.

use std::cell::RefCell;
use std::num::NonZeroU32;
use std::rc::Rc;

use rand::Rng;
use sim_core::trace::{JsonLinesTrace, TraceRecord, TraceSink};
use sim_core::{
    CompletedWork, CrashProcess, Ctx, Distribution, Fault, HistogramId, Message, NetworkConfig,
    Node, NodeId, NodeSet, OpKind, ServiceModel, SimConfig, SimDuration, SimTime, Simulation,
    TimerTag, Unit,
};

#[derive(Clone, Debug)]
enum Rpc {
    Request { id: u64, sent: SimTime },
    Response { id: u64, sent: SimTime },
}

impl Message for Rpc {
    fn size_bytes(&self) -> u64 {
        match self {
            Rpc::Request { .. } => 200,
            Rpc::Response { .. } => 4_000,
        }
    }
}

/// Sends requests to random peers every few milliseconds, serves requests through its
/// service model, and records round-trip latency.
struct Peer {
    n_nodes: u32,
    next_id: u64,
    latency: Option<HistogramId>,
}

impl Node for Peer {
    type Msg = Rpc;

    fn on_start(&mut self, ctx: &mut Ctx<'_, Rpc>) {
        self.latency = Some(ctx.histogram("latency.rpc", Unit::Nanoseconds));
        let delay = SimDuration(ctx.rng().random_range(0..5_000_000));
        ctx.set_timer(delay, TimerTag(0));
    }

    fn on_message(&mut self, ctx: &mut Ctx<'_, Rpc>, from: NodeId, msg: Rpc) {
        match msg {
            Rpc::Request { .. } => {
                let _ = ctx.submit_work(OpKind(0), msg);
                let _ = from;
            }
            Rpc::Response { id, sent } => {
                assert_eq!(
                    id >> 40,
                    u64::from(ctx.id().0),
                    "response reached its requester"
                );
                let latency = self.latency.expect("set at start");
                ctx.record(latency, ctx.now().saturating_since(sent).0);
            }
        }
    }

    fn on_timer(&mut self, ctx: &mut Ctx<'_, Rpc>, _: TimerTag) {
        let me = ctx.id().0;
        let mut to = ctx.rng().random_range(0..self.n_nodes - 1);
        if to >= me {
            to += 1;
        }
        self.next_id += 1;
        let sent = ctx.now();
        ctx.send(
            NodeId(to),
            Rpc::Request {
                id: self.next_id,
                sent,
            },
        );
        let delay = SimDuration(ctx.rng().random_range(1_000_000..5_000_000));
        ctx.set_timer(delay, TimerTag(0));
    }

    fn on_work_done(&mut self, ctx: &mut Ctx<'_, Rpc>, work: CompletedWork<Rpc>) {
        if let Rpc::Request { id, sent } = work.item {
            // Requests carry their origin in the id's high bits.
            let origin = NodeId((id >> 40) as u32);
            ctx.send(origin, Rpc::Response { id, sent });
        }
    }

    fn on_restart(&mut self, ctx: &mut Ctx<'_, Rpc>) {
        let delay = SimDuration(ctx.rng().random_range(0..5_000_000));
        ctx.set_timer(delay, TimerTag(0));
    }
}

/// A trace sink that can be read after the simulation gives it back.
#[derive(Clone)]
struct SharedTrace(Rc<RefCell<JsonLinesTrace<Vec<u8>>>>);

impl SharedTrace {
    fn new() -> Self {
        SharedTrace(Rc::new(RefCell::new(JsonLinesTrace::new(Vec::new()))))
    }
    fn text(self) -> String {
        drop(self.0.borrow_mut());
        let inner = Rc::try_unwrap(self.0)
            .ok()
            .expect("only owner")
            .into_inner();
        String::from_utf8(inner.finish().unwrap()).unwrap()
    }
}

impl TraceSink for SharedTrace {
    fn record(&mut self, record: &TraceRecord<'_>) {
        self.0.borrow_mut().record(record);
    }
}

struct Outcome {
    digest: u64,
    events: u64,
    latency_count: u64,
    latency_p99: u64,
    dropped: u64,
    faults: usize,
    trace: String,
}

fn run(seed: u64, with_trace: bool) -> Outcome {
    const N_NODES: u32 = 60;
    let mut sim = Simulation::new(SimConfig::with_seed(seed));
    let eu = sim.topology_mut().add_region("eu");
    let us = sim.topology_mut().add_region("us");
    let zones = [
        sim.topology_mut().add_zone(eu, "eu-a").unwrap(),
        sim.topology_mut().add_zone(eu, "eu-b").unwrap(),
        sim.topology_mut().add_zone(us, "us-a").unwrap(),
    ];
    for i in 0..N_NODES {
        // The id's high bits name the requester, so responses find their way home.
        let peer = Peer {
            n_nodes: N_NODES,
            next_id: u64::from(i) << 40,
            latency: None,
        };
        sim.add_node_in(zones[i as usize % 3], peer).unwrap();
    }
    let mut network = NetworkConfig::new(Distribution::lognormal_median(40e6, 0.3).unwrap());
    network.region_latency(eu, eu, Distribution::lognormal_median(1e6, 0.5).unwrap());
    network.zone_latency(
        zones[0],
        zones[0],
        Distribution::lognormal_median(2e5, 0.5).unwrap(),
    );
    network.set_loss(0.01).unwrap();
    network.set_duplicate(0.005).unwrap();
    network.set_bandwidth_bps(Some(1_000_000_000)).unwrap();
    sim.set_network(network).unwrap();
    let service = ServiceModel::new(
        "peer",
        NonZeroU32::new(2).unwrap(),
        Distribution::exponential(8e5).unwrap(),
    );
    let model = sim.add_service_model(service);
    for i in 0..N_NODES {
        sim.set_service(NodeId(i), model).unwrap();
    }
    let secs = |s: u64| SimTime::ZERO + SimDuration::from_secs(s);
    sim.add_fault(
        secs(2),
        Fault::CrashRestart {
            nodes: NodeSet::range(0, 5),
            after: SimDuration::from_secs(1),
        },
    )
    .unwrap();
    let halves = Fault::split("halves", NodeSet::range(0, 30), NodeSet::range(30, 60));
    sim.add_fault(secs(4), halves).unwrap();
    sim.add_fault(secs(5), Fault::Heal { name: None }).unwrap();
    sim.add_fault(
        secs(6),
        Fault::SlowNode {
            nodes: NodeSet::range(10, 20),
            factor: 4.0,
            duration: SimDuration::from_secs(1),
        },
    )
    .unwrap();
    sim.add_crash_process(CrashProcess {
        nodes: NodeSet::range(40, 60),
        mtbf: SimDuration::from_secs(5),
        mttr: SimDuration::from_millis(500),
    })
    .unwrap();
    let trace = SharedTrace::new();
    if with_trace {
        sim.set_trace(Box::new(trace.clone()));
    }
    sim.run_until(secs(8)).unwrap();
    drop(sim.take_trace());
    let latency = sim.metrics().histogram_by_name("latency.rpc").unwrap();
    Outcome {
        digest: sim.digest(),
        events: sim.events_processed(),
        latency_count: latency.len(),
        latency_p99: latency.value_at_quantile(0.99),
        dropped: sim.metrics().counter_by_name("net.dropped.partition")
            + sim.metrics().counter_by_name("net.dropped.loss")
            + sim.metrics().counter_by_name("net.dropped.receiver_down"),
        faults: sim.fault_log().len(),
        trace: trace.text(),
    }
}

#[test]
fn same_seed_same_run_different_seed_different_run() {
    let first = run(2024, true);
    let second = run(2024, true);
    assert!(
        first.events > 100_000,
        "non-trivial: {} events",
        first.events
    );
    assert!(
        first.dropped > 0 && first.faults >= 5,
        "faults must have fired"
    );
    assert_eq!(first.digest, second.digest);
    assert_eq!(first.events, second.events);
    assert_eq!(
        (first.latency_count, first.latency_p99),
        (second.latency_count, second.latency_p99)
    );
    assert_eq!(first.trace.len(), second.trace.len());
    assert!(first.trace == second.trace, "traces differ");
    assert!(first.trace.lines().count() as u64 >= first.events / 2);

    let other = run(2025, false);
    assert_ne!(first.digest, other.digest);
    // The trace is an observer: switching it off changes nothing.
    assert_eq!(run(2024, false).digest, first.digest);
}
