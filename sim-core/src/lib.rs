//! sim-core: distsim's deterministic discrete-event engine.
//!
//! It simulates nodes (state machines) exchanging messages over a modelled network while
//! faults are injected, and records latency histograms and counters. Time is integer
//! nanoseconds, events are ordered by `(time, sequence number)`, and every random draw comes
//! from a counter-based Philox stream keyed by the run seed and a stable component label, so the same inputs
//! and seed give the same run, bit for bit.
//!
//! It deliberately knows nothing about caches, rings, gossip or scenario files (those live in
//! the `models` and `scenarios` crates), and does no I/O: no wall clock, no files, no threads.
//!
//! # Example
//!
//! Two nodes play ping-pong over a 1 ms network for one simulated second:
//!
//! ```
//! use sim_core::{Ctx, Distribution, Message, NetworkConfig, Node, NodeId, SimConfig,
//!                SimDuration, SimTime, Simulation};
//!
//! #[derive(Clone, Debug)]
//! struct Ball;
//! impl Message for Ball {
//!     fn size_bytes(&self) -> u64 { 64 }
//! }
//!
//! struct Player { serve_to: Option<NodeId>, hits: u64 }
//! impl Node for Player {
//!     type Msg = Ball;
//!     fn on_start(&mut self, ctx: &mut Ctx<'_, Ball>) {
//!         if let Some(peer) = self.serve_to {
//!             ctx.send(peer, Ball);
//!         }
//!     }
//!     fn on_message(&mut self, ctx: &mut Ctx<'_, Ball>, from: NodeId, ball: Ball) {
//!         self.hits += 1;
//!         ctx.send(from, ball);
//!     }
//! }
//!
//! let mut sim = Simulation::new(SimConfig::with_seed(7));
//! let a = sim.add_node(Player { serve_to: Some(NodeId(1)), hits: 0 });
//! let b = sim.add_node(Player { serve_to: None, hits: 0 });
//! let one_ms = Distribution::constant(1e6).unwrap(); // nanoseconds
//! sim.set_network(NetworkConfig::new(one_ms)).unwrap();
//! sim.run_until(SimTime::ZERO + SimDuration::from_secs(1)).unwrap();
//! assert_eq!(sim.node(a).hits + sim.node(b).hits, 1000);
//! ```
#![deny(missing_docs)]

pub mod ctx;
pub mod dist;
pub mod error;
pub mod fault;
pub mod ids;
mod inject;
pub mod message;
pub mod metrics;
pub mod names;
pub mod network;
pub mod node;
pub mod nodeset;
pub mod queue;
pub mod registry;
pub mod rng;
pub mod service;
pub mod sim;
pub mod time;
pub mod trace;
mod world;

pub use ctx::{CrashCtx, Ctx};
pub use dist::{DistError, Distribution, Sampler};
pub use error::{ConfigError, RunError};
pub use fault::{CrashProcess, Direction, Fault, FaultRecord};
pub use ids::{NodeId, OpKind, TimerId, TimerTag};
pub use message::{CompletedWork, Message};
pub use metrics::{
    CounterId, HistogramId, MetricDecl, MetricTable, Metrics, Outcome, OutcomeId, OutcomeTally,
    Unit,
};
pub use names::NodeNames;
pub use network::{DropCause, NetworkConfig, RegionId, Topology, ZoneId};
pub use node::Node;
pub use nodeset::NodeSet;
pub use rng::SimRng;
pub use service::{Admission, Codel, Overflow, QueuePolicy, ServiceModel};
pub use sim::Simulation;
pub use time::{SimDuration, SimTime};
pub use world::{NodeStats, Progress, RunLimits, RunSummary, SimConfig, StopReason};

// The README's Rust example runs as a doctest, so an API change that breaks it fails CI.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
struct ReadmeDoctests;
