//! Engine memory per idle and per active node: what a simulation of many nodes pays before
//! its model stores anything.
//!
//! ```text
//! flock /tmp/cargo.lock cargo run --release -p distsim-benches --bin node_memory -- --nodes 1000000
//! ```
//!
//! A counting global allocator (the system allocator plus a live-byte counter) measures the
//! heap. The program builds a `Simulation` of zero-sized nodes that ignore every message, so
//! every byte counted is the engine's: the per-node slot and, right after adding, each node's
//! pending `Start` event. It prints the live bytes per node three times:
//!
//! - `added`: after `add_node`, with one `Start` event per node in the queue;
//! - `started`: after `run_until_idle` has processed every `Start` event. The queue is empty
//!   but keeps its capacity, so the difference from `added` is only what the engine frees.
//!
//! - `active`: a second simulation, of nodes that each drew from their stream, set a timer,
//!   sent one message and received one (measured once every message has arrived, with each
//!   node's timer still pending): the engine's state per active node, its share of pending
//!   events included.
//!
//! Live bytes are requested sizes, including `Vec` spare capacity, excluding the allocator's
//! own overhead. The last line (`distsim node_memory ...`) is meant for scripts.

use std::alloc::{GlobalAlloc, Layout, System};
use std::process::ExitCode;
use std::sync::atomic::{AtomicUsize, Ordering};

use rand::Rng;
use sim_core::{
    Ctx, Distribution, Message, NetworkConfig, Node, NodeId, SimConfig, SimDuration, SimTime,
    Simulation, TimerTag,
};

/// Bytes currently allocated through [`CountingAllocator`].
static LIVE_BYTES: AtomicUsize = AtomicUsize::new(0);
/// The most bytes ever live at once.
static PEAK_BYTES: AtomicUsize = AtomicUsize::new(0);

/// The system allocator, counting live bytes.
struct CountingAllocator;

fn grew(bytes: usize) {
    let live = LIVE_BYTES.fetch_add(bytes, Ordering::Relaxed) + bytes;
    PEAK_BYTES.fetch_max(live, Ordering::Relaxed);
}

fn shrank(bytes: usize) {
    LIVE_BYTES.fetch_sub(bytes, Ordering::Relaxed);
}

// SAFETY: every call is forwarded unchanged to `System`, which upholds `GlobalAlloc`'s
// contract; the counters only observe sizes.
unsafe impl GlobalAlloc for CountingAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: the caller's guarantees for `layout` are passed on unchanged.
        let ptr = unsafe { System.alloc(layout) };
        if !ptr.is_null() {
            grew(layout.size());
        }
        ptr
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: as for `alloc`.
        let ptr = unsafe { System.alloc_zeroed(layout) };
        if !ptr.is_null() {
            grew(layout.size());
        }
        ptr
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` came from this allocator, i.e. from `System`, with `layout`.
        unsafe { System.dealloc(ptr, layout) };
        shrank(layout.size());
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: `ptr` came from `System` with `layout`; the caller checked `new_size`.
        let new_ptr = unsafe { System.realloc(ptr, layout, new_size) };
        if !new_ptr.is_null() {
            grew(new_size);
            shrank(layout.size());
        }
        new_ptr
    }
}

#[global_allocator]
static ALLOCATOR: CountingAllocator = CountingAllocator;

/// A message nobody sends.
#[derive(Clone, Copy, Debug)]
struct Silence;

impl Message for Silence {
    fn size_bytes(&self) -> u64 {
        0
    }
}

/// A zero-sized node that does nothing: all its memory is the engine's.
struct IdleNode;

impl Node for IdleNode {
    type Msg = Silence;

    fn on_message(&mut self, _: &mut Ctx<'_, Silence>, _: NodeId, _: Silence) {}
}

const _: () = assert!(std::mem::size_of::<IdleNode>() == 0);

/// A zero-sized node that does one of everything once: on start it draws from its own
/// stream, sets a timer for [`ACTIVE_TIMER`] and sends one message to its successor, which
/// receives it. What it leaves is an *active* node's engine state: its slot after a send,
/// a receive and a draw, and its share of the pending events (its timer).
struct ActiveNode;

/// When the active nodes' timers fire: after the measurement.
const ACTIVE_TIMER: SimDuration = SimDuration::from_secs(1);
/// When every active node's message has arrived (one-way latency 1 ms).
const ACTIVE_MEASURE_AT: SimDuration = SimDuration::from_millis(10);

impl Node for ActiveNode {
    type Msg = Silence;

    fn on_start(&mut self, ctx: &mut Ctx<'_, Silence>) {
        let draw: u64 = ctx.rng().random();
        ctx.set_timer(ACTIVE_TIMER, TimerTag(draw));
        let next = (ctx.id().0 + 1) % ctx.n_nodes();
        ctx.send(NodeId(next), Silence);
    }

    fn on_message(&mut self, _: &mut Ctx<'_, Silence>, _: NodeId, _: Silence) {}
}

const _: () = assert!(std::mem::size_of::<ActiveNode>() == 0);

fn parse_args() -> Result<u32, String> {
    let mut n_nodes: u32 = 1_000_000;
    let mut iter = std::env::args().skip(1);
    while let Some(flag) = iter.next() {
        let value = iter.next().ok_or_else(|| format!("{flag} needs a value"))?;
        match flag.as_str() {
            "--nodes" => {
                n_nodes = value
                    .parse()
                    .map_err(|e| format!("--nodes {value:?}: {e}"))?
            }
            _ => return Err(format!("unknown flag {flag}; expected --nodes")),
        }
    }
    if n_nodes == 0 {
        return Err("--nodes must be at least 1".to_string());
    }
    Ok(n_nodes)
}

/// Prints one measurement and returns the bytes per node.
fn report(stage: &str, n_nodes: u32, live_bytes: usize) -> f64 {
    let per_node = live_bytes as f64 / f64::from(n_nodes);
    println!(
        "{stage:<8} nodes={n_nodes} live_bytes={live_bytes} bytes_per_idle_node={per_node:.1}"
    );
    per_node
}

fn main() -> ExitCode {
    let n_nodes = match parse_args() {
        Ok(n_nodes) => n_nodes,
        Err(message) => {
            eprintln!("error: {message}");
            return ExitCode::from(2);
        }
    };
    let baseline = LIVE_BYTES.load(Ordering::Relaxed);
    let mut sim = Simulation::new(SimConfig::with_seed(1));
    sim.reserve_nodes(n_nodes as usize);
    for _ in 0..n_nodes {
        sim.add_node(IdleNode);
    }
    assert_eq!(sim.pending(), n_nodes as usize, "one Start event per node");
    let added_bytes = LIVE_BYTES.load(Ordering::Relaxed) - baseline;
    let added = report("added", n_nodes, added_bytes);

    if let Err(error) = sim.run_until_idle() {
        eprintln!("error: {error}");
        return ExitCode::from(1);
    }
    assert_eq!(sim.pending(), 0, "idle nodes schedule nothing");
    let started_bytes = LIVE_BYTES.load(Ordering::Relaxed) - baseline;
    let started = report("started", n_nodes, started_bytes);
    let peak_bytes = PEAK_BYTES.load(Ordering::Relaxed) - baseline;
    drop(sim);

    let baseline = LIVE_BYTES.load(Ordering::Relaxed);
    let mut sim = Simulation::new(SimConfig::with_seed(1));
    sim.reserve_nodes(n_nodes as usize);
    for _ in 0..n_nodes {
        sim.add_node(ActiveNode);
    }
    let latency = Distribution::constant(1e6).expect("1 ms is valid");
    sim.set_network(NetworkConfig::new(latency))
        .expect("no rule names a node");
    if let Err(error) = sim.run_until(SimTime::ZERO + ACTIVE_MEASURE_AT) {
        eprintln!("error: {error}");
        return ExitCode::from(1);
    }
    assert_eq!(
        sim.pending(),
        n_nodes as usize,
        "one timer pending per node"
    );
    assert_eq!(
        sim.metrics().counter_by_name("net.delivered"),
        u64::from(n_nodes),
        "every message arrived"
    );
    let active_bytes = LIVE_BYTES.load(Ordering::Relaxed) - baseline;
    let active = active_bytes as f64 / f64::from(n_nodes);
    println!(
        "active   nodes={n_nodes} live_bytes={active_bytes} bytes_per_active_node={active:.1}"
    );
    println!(
        "distsim node_memory nodes={n_nodes} bytes_per_idle_node_added={added:.1} \
         bytes_per_idle_node_started={started:.1} bytes_per_active_node={active:.1} \
         peak_bytes={peak_bytes}"
    );
    ExitCode::SUCCESS
}
