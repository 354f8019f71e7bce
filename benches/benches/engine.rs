//! Engine throughput under criterion: the event queue alone (radix heap vs binary heap), the
//! hold model (queue plus timers), ping-pong (messages
//! over the network model) and M/M/1 (the service model). The workloads are built by
//! `distsim_benches` (`benches/src/lib.rs`), at fixed seeds.
//!
//! ```text
//! flock /tmp/cargo.lock cargo bench -p distsim-benches                       # a few minutes
//! flock /tmp/cargo.lock cargo bench -p distsim-benches -- --warm-up-time 1 --measurement-time 2
//! flock /tmp/cargo.lock cargo bench -p distsim-benches -- hold/1000000       # one case
//! ```
//!
//! Hold and ping-pong are stationary, so each case builds its simulation once, outside the
//! timed code, warms it up to steady state, and then every timed iteration continues the same
//! run for one more span of simulated time. Throughput is in events (hold: the expected count
//! per span, exact in expectation; ping-pong: the count measured over the warm-up spans).
//! M/M/1 is a finite run, rebuilt (untimed) for each iteration; its throughput is in
//! customers. Compare numbers only between runs on the same machine.

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{
    criterion_group, criterion_main, BatchSize, BenchmarkId, Criterion, SamplingMode, Throughput,
};
use distsim_benches::{hold_horizon, hold_model, mm1, ping_pong};
use rand::Rng;
use sim_core::queue::{BinaryHeapQueue, EventQueue};
use sim_core::rng::{stream, StreamKind, StreamLabel};
use sim_core::{Node, SimDuration, SimTime, Simulation};

/// Every workload's seed: fixed, so two runs of a bench simulate the same events.
const SEED: u64 = 1;
/// Events per timed hold iteration: large enough that the span's Poisson noise (0.1%) and the
/// per-call overhead of `run_until` vanish.
const HOLD_EVENTS: u64 = 1_000_000;
/// Queue sizes of the hold cases: cache-resident, L2/L3-sized, and larger than the caches.
const HOLD_PENDING: [usize; 3] = [1_000, 100_000, 1_000_000];
/// Ping-pong's shape: 1000 nodes with 10 peers each, 10 000 messages always in flight.
const PING_PONG_NODES: u32 = 1_000;
const PING_PONG_PEERS: u32 = 10;
/// 25 ms of simulated time per timed ping-pong iteration: about 880 000 events.
const PING_PONG_SPAN: SimDuration = SimDuration::from_millis(25);
/// 10 ms: longer than the slowest first round trip, so the start-up burst (every node sending
/// at time zero) has spread out before measuring.
const PING_PONG_SETTLE: SimDuration = SimDuration::from_millis(10);
/// M/M/1 at utilisation 0.91 (as in `benches/peers/`), one million customers per iteration.
const MM1_LAMBDA: f64 = 1.0;
const MM1_MU: f64 = 1.1;
const MM1_CUSTOMERS: u64 = 1_000_000;

/// Runs `sim` for `rounds` more spans of `span` and returns the mean events per span.
fn events_per_span<N: Node>(sim: &mut Simulation<N>, span: SimDuration, rounds: u64) -> u64 {
    assert!(rounds > 0, "at least one round");
    let before = sim.events_processed();
    for _ in 0..rounds {
        let end = sim.now() + span;
        sim.run_until(end)
            .expect("a benchmark stays within the run limits");
    }
    let events = sim.events_processed() - before;
    assert!(
        events > 0,
        "the workload processed no events in {rounds} spans"
    );
    events / rounds
}

/// Times `iters` further spans of `span` of an already warm `sim`.
fn time_spans<N: Node>(sim: &mut Simulation<N>, span: SimDuration, iters: u64) -> Duration {
    let start = Instant::now();
    for _ in 0..iters {
        let end = sim.now() + span;
        black_box(
            sim.run_until(end)
                .expect("a benchmark stays within the run limits"),
        );
    }
    start.elapsed()
}

fn bench_hold(c: &mut Criterion) {
    let mut group = c.benchmark_group("hold");
    group.sampling_mode(SamplingMode::Flat);
    group.throughput(Throughput::Elements(HOLD_EVENTS));
    for pending in HOLD_PENDING {
        let mut sim = hold_model(pending, SEED);
        let span = hold_horizon(pending, HOLD_EVENTS);
        // Replace every initial timer a few times over, so the heap holds steady-state times.
        let warm_up_spans = (3 * pending as u64).div_ceil(HOLD_EVENTS);
        events_per_span(&mut sim, span, warm_up_spans);
        assert_eq!(
            sim.pending(),
            pending,
            "the hold model keeps its queue size"
        );
        group.bench_function(BenchmarkId::from_parameter(pending), |b| {
            b.iter_custom(|iters| time_spans(&mut sim, span, iters))
        });
    }
    group.finish();
}

/// A queue-only hold loop: pop the earliest event and push it back at an exponential delay
/// (mean 1 ms), `n` times. The same operation sequence for both queue kinds.
macro_rules! hold_queue_loop {
    ($queue:expr, $rng:expr, $n:expr) => {{
        for _ in 0..$n {
            let next = $queue.pop().expect("the hold queue never empties");
            let uniform: f64 = $rng.random();
            let delay = SimDuration::from_nanos_f64(-1e6 * (1.0 - uniform).ln());
            $queue.push(next.time + delay, next.event);
        }
    }};
}

/// The event queue alone: the radix heap `EventQueue` against `std`'s `BinaryHeap`
/// (`BinaryHeapQueue`), the evidence for choosing the former. Entries carry a 32-byte payload,
/// the size of a small message event.
fn bench_queue(c: &mut Criterion) {
    let mut group = c.benchmark_group("queue");
    group.sampling_mode(SamplingMode::Flat);
    group.throughput(Throughput::Elements(HOLD_EVENTS));
    for pending in HOLD_PENDING {
        let mut rng = stream(SEED, StreamLabel::new(StreamKind::Engine, 0));
        let mut radix = EventQueue::new();
        let mut heap = BinaryHeapQueue::new();
        for _ in 0..pending {
            let time = SimTime(rng.random_range(0..1_000_000_000));
            radix.push(time, [0u64; 4]);
            heap.push(time, [0u64; 4]);
        }
        hold_queue_loop!(radix, rng, 3 * pending);
        hold_queue_loop!(heap, rng, 3 * pending);
        group.bench_function(BenchmarkId::new("radix", pending), |b| {
            b.iter(|| hold_queue_loop!(radix, rng, HOLD_EVENTS))
        });
        group.bench_function(BenchmarkId::new("binary_heap", pending), |b| {
            b.iter(|| hold_queue_loop!(heap, rng, HOLD_EVENTS))
        });
    }
    group.finish();
}

fn bench_ping_pong(c: &mut Criterion) {
    let mut group = c.benchmark_group("ping_pong");
    group.sampling_mode(SamplingMode::Flat);
    let mut sim = ping_pong(PING_PONG_NODES, PING_PONG_PEERS, SEED);
    events_per_span(&mut sim, PING_PONG_SETTLE, 1);
    let events = events_per_span(&mut sim, PING_PONG_SPAN, 4);
    group.throughput(Throughput::Elements(events));
    let id = format!("{PING_PONG_NODES}x{PING_PONG_PEERS}");
    group.bench_function(BenchmarkId::from_parameter(id), |b| {
        b.iter_custom(|iters| time_spans(&mut sim, PING_PONG_SPAN, iters))
    });
    group.finish();
}

fn bench_mm1(c: &mut Criterion) {
    let mut group = c.benchmark_group("mm1");
    group.sampling_mode(SamplingMode::Flat);
    group.throughput(Throughput::Elements(MM1_CUSTOMERS));
    let id = format!("rho0.91/{MM1_CUSTOMERS}");
    group.bench_function(BenchmarkId::from_parameter(id), |b| {
        b.iter_batched(
            || mm1(MM1_LAMBDA, MM1_MU, MM1_CUSTOMERS, SEED),
            |mut sim| {
                let summary = sim.run_until_idle().expect("within the run limits");
                assert_eq!(
                    summary.events,
                    2 * MM1_CUSTOMERS + 1,
                    "every customer served"
                );
                // Returned, so the simulation is dropped outside the timed code.
                sim
            },
            BatchSize::PerIteration,
        )
    });
    group.finish();
}

/// Ten samples of a few seconds each keep the whole suite to a few minutes on two cores;
/// command-line flags (`--measurement-time`, `--warm-up-time`) override these.
fn config() -> Criterion {
    Criterion::default()
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
}

criterion_group! {
    name = engine;
    config = config();
    targets = bench_queue, bench_hold, bench_ping_pong, bench_mm1
}
criterion_main!(engine);
