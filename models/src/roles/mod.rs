//! Roles: the nodes scenario files compose systems from.
//!
//! A role is a [`Node`](sim_core::Node) speaking [`Msg`](crate::msg::Msg) that hosts models:
//! a client runs a workload, a server runs the engine's service model, and the roles still to
//! come host caches, stores, balancers and gossip members. Scenario files pick roles by name
//! through the registry in the `scenarios` crate; **a new role** is a module here plus one
//! registry entry there.

pub mod balancer;
pub mod cache;
pub mod client;
pub mod server;

pub use balancer::{BalancerConfig, BalancerNode};
pub use cache::{CacheNode, CacheNodeConfig, Ttl, WritePolicy};
pub use client::{Client, ClientConfig, Load, Routing};
pub use server::Server;
