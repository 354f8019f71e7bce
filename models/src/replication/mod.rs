//! Replication and consistency: replicated stores and the checks that say what their clients
//! saw.
//!
//! Replication decides what a client reads after a failure: a strict quorum stays consistent
//! and becomes unavailable under a partition, a sloppy one stays available and serves stale
//! values, an asynchronous follower promoted after a leader crash has lost the writes it never
//! received. This family holds the plain data structures of that story, testable without the
//! engine; the store role that hosts them is built on top.
//!
//! - [`history`]: the consistency log — acknowledged writes and completed reads judged as
//!   they come (stale reads, k-staleness, t-visibility, read-your-writes and monotonic-read
//!   violations, lost acknowledged writes), in memory bounded per key and per client.
//! - [`linearizability`]: whether a single register's history of reads and writes (call and
//!   return times, values seen) is linearizable — Wing and Gong's search with Lowe's
//!   memoisation, as Porcupine runs it — with a witness order, or the longest legal prefix and
//!   the operation it could not place.
//! - [`quorum`]: Dynamo-style leaderless quorums (N, R, W; client- or replica-side
//!   coordination; read repair): the configuration, a coordinator's first-k-of-n bookkeeping
//!   and a replica's versions. The `store` role (`crate::roles::store`) hosts them.
//! - [`leader_follower`]: one leader shipping writes to followers (sync, semi-sync, async
//!   with a lag), reads from the leader or any replica, failover by a shared directory that
//!   promotes one follower per term; the acknowledged writes it never received are lost.
//! - [`raft`]: Raft's configuration, the run's log arena (entries by id, so messages stay
//!   plain data) and the monitor that checks election and state machine safety on every run.
//! - [`registry`]: the schemes a store's `replication = { scheme = ... }` names.
pub mod anti_entropy;
pub mod history;
pub mod leader_follower;
pub mod linearizability;
pub mod quorum;
pub mod raft;
pub mod registry;

pub use registry::{schemes, ParseReplication, ReplicationRow, ReplicationSpec, SCHEMES};
