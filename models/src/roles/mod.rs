//! Roles: the nodes scenario files compose systems from.
//!
//! A role is a [`Node`](sim_core::Node) speaking [`Msg`](crate::msg::Msg) that hosts models:
//! a client runs a workload, a server runs the engine's service model, a balancer spreads
//! requests over backends, a cache hosts an eviction policy, a store replicates keys and a
//! gossip member spreads rumours; a [`gate::Gate`] applies a rate limit inside a server or a
//! balancer (the `ratelimiter` role is a balancer whose limit is the point).
//! Each module exports its node and its metric table (`METRICS`). Scenario files pick roles
//! by name through the role registry in the `scenarios` crate (`scenarios::sections::roles`);
//! **a new role** is a module here plus a parser module and one row there
//! (`docs/architecture.md`, "How to add X").

pub mod balancer;
pub mod cache;
pub mod client;
pub mod gate;
pub mod gossip;
pub mod membership;
pub mod server;
pub mod store;

pub use balancer::{BalancerConfig, BalancerNode};
pub use cache::{CacheNode, CacheNodeConfig, Ttl, WritePolicy};
pub use client::{Client, ClientConfig, Load, Routing};
pub use gossip::{GossipConfig, GossipNode};
pub use server::Server;
pub use store::{QuorumFrontEnd, StoreConfig, StoreNode, StoreRun};
