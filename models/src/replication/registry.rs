//! The replication-scheme registry: [`SCHEMES`], one row per scheme a `store` group's
//! `replication = { scheme = ... }` can name, in `distsim list` order.
//!
//! **A new scheme** is a module in this folder with its plain types and a
//! `pub(super) const ROW` beside them, a [`ReplicationSpec`] variant, that row added to
//! [`SCHEMES`], and the store role's handling of the variant (`crate::roles::store`).

use sim_core::registry::{ArgError, ParseArgs, Registry, Row};
use sim_core::SimDuration;

use super::leader_follower::LeaderFollowerSpec;
use super::quorum::QuorumSpec;
use super::raft::RaftSpec;

/// A validated replication scheme with its parameters.
#[derive(Clone, Debug)]
pub enum ReplicationSpec {
    /// Leaderless quorums ([`super::quorum`]).
    Quorum(QuorumSpec),
    /// One leader, followers ([`super::leader_follower`]).
    LeaderFollower(LeaderFollowerSpec),
    /// Raft consensus ([`super::raft`]).
    Raft(RaftSpec),
}

/// A scheme row's constructor: reads its parameters, validates them.
pub type ParseReplication = ParseArgs<ReplicationSpec>;

/// One replication scheme's registry row.
pub type ReplicationRow = Row<ParseReplication>;

/// Every built-in replication scheme, in `distsim list` order.
pub const SCHEMES: &[ReplicationRow] = &[
    super::quorum::ROW,
    super::leader_follower::ROW,
    super::raft::ROW,
];

/// The built-in replication schemes as a registry.
pub fn schemes() -> Registry<ParseReplication> {
    Registry::new("replication scheme", SCHEMES)
}

/// A scheme's duration parameter `name` given as `text`: the error names the parameter.
pub(super) fn duration_param(name: &'static str, text: &str) -> Result<SimDuration, ArgError> {
    SimDuration::parse(text).map_err(|e| ArgError::at(name, format!("{name}: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use sim_core::registry::{ArgMap, ArgValue};

    // Goal: every row builds from its defaults, names are unique, and a parameter error
    // names its parameter.
    #[test]
    fn rows_build_from_defaults_and_name_bad_parameters() {
        let registry = schemes();
        assert_eq!(registry.check_unique(), Ok(()));
        for row in SCHEMES {
            (row.value)(&mut ArgMap::new()).expect("defaults are valid");
        }
        let mut args = ArgMap::new().with("r", ArgValue::Integer(4));
        let err = (super::super::quorum::ROW.value)(&mut args).unwrap_err();
        assert_eq!(err.param, Some("r"));
    }
}
