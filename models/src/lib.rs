//! Model families for distsim: placement (sharding and consistent hashing), balancing, caches,
//! replication, gossip, rate limiting, client resilience and workloads.
//!
//! Each family defines a small trait and several implementations registered by name, so that
//! scenario files can pick one with `policy = "..."`. Models are plain data structures where
//! they can be; the node that hosts a model adapts it to messages and timers. This crate builds
//! on [`sim_core`] and knows nothing about scenario files or reports.
//!
//! The families arrive with their issues; this crate is the place they go.
#![deny(missing_docs)]

pub mod balancing;
pub mod cache;
pub mod fixed_hash;
pub mod gossip;
pub mod msg;
pub mod placement;
pub mod ratelimit;
pub mod replication;
pub mod resilience;
pub mod roles;
pub mod workload;

/// The random stream every model test draws from: a model stream of sim-core's, seeded.
#[cfg(test)]
pub(crate) fn test_rng(seed: u64) -> sim_core::SimRng {
    sim_core::rng::stream(
        seed,
        sim_core::rng::StreamLabel::new(sim_core::rng::StreamKind::Model, 0),
    )
}
