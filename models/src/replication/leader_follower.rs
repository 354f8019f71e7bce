//! Leader-follower (primary-backup) replication: one leader takes every write and ships it to
//! the followers, synchronously (every follower acks before the client is answered),
//! semi-synchronously (k followers ack) or asynchronously (the client is answered at once and
//! the write is shipped after a replication lag); reads go to the leader, or to any replica
//! when stale reads are allowed. When the leader stops sending heartbeats for the failover
//! timeout, a follower is promoted, and the acknowledged writes it never received are lost.
//!
//! The plain parts, testable without the engine: [`LeaderFollowerSpec`], validated at
//! construction, and [`Directory`], one run's record of who leads (in which term) and how far
//! each replica has applied the leader's log — the consistent store an orchestrator such as
//! Orchestrator or Patroni keeps in etcd or ZooKeeper, through which exactly one follower wins
//! each promotion. The store role (`crate::roles::store`) runs the protocol.
//!
//! **Limitations:** whole-group replication (every node holds every key; no sharding by
//! placement); a restarted old leader rejoins as a follower without discarding the writes it
//! never shipped (they linger on it, as on a MySQL primary that comes back without a
//! rebuild); manual failover is not modelled; the lag is constant.

use std::sync::{Arc, Mutex, MutexGuard};

use sim_core::dist::Distribution;
use sim_core::registry::{ArgError, Args, Param, Row};
use sim_core::{NodeId, SimDuration};

use super::registry::{duration_param, ReplicationRow, ReplicationSpec};

/// How the leader ships writes.
#[derive(Clone, Debug)]
pub enum Shipping {
    /// Every follower acks before the client is answered.
    Sync,
    /// This many followers ack before the client is answered.
    SemiSync(usize),
    /// The client is answered at once; each write is shipped after its lag.
    Async(Lag),
}

/// The replication lag of async shipping: a process, not a constant. Each write draws a delay
/// (ns) from `delay` at its acknowledgement, and ships then or when the write before it ships,
/// whichever is later: the log stays in order, so a long draw holds back the writes behind
/// it (as a replica's apply thread or a congested link does).
#[derive(Clone, Debug)]
pub struct Lag {
    /// Per write, the delay from its acknowledgement to its shipping, in nanoseconds.
    pub delay: Distribution,
}

impl Lag {
    /// No lag: every write ships at its acknowledgement.
    pub fn none() -> Self {
        Lag {
            delay: Distribution::constant(0.0).expect("0 is a valid constant"),
        }
    }

    /// Whether every draw is 0 (a distribution of values >= 0 with mean 0).
    pub fn is_zero(&self) -> bool {
        self.delay.mean() == Some(0.0)
    }
}

/// Where reads are served.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reads {
    /// The leader only: followers forward reads to it.
    Leader,
    /// Any replica, from its own (possibly stale) data.
    Any,
}

/// Which follower a failover promotes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Promote {
    /// The follower that first noticed the leader was gone, however far behind.
    First,
    /// The follower that applied the most of the old leader's log (the lowest id on a tie).
    MostCaughtUp,
}

/// A leader-follower configuration.
#[derive(Clone, Debug)]
pub struct LeaderFollowerSpec {
    /// How writes are shipped.
    pub shipping: Shipping,
    /// Where reads go.
    pub reads: Reads,
    /// Interval of the leader's heartbeats (and of the followers' checks).
    pub heartbeat: SimDuration,
    /// A follower that has heard no heartbeat for this long starts a failover; `None`:
    /// never (a dead leader stays dead).
    pub failover_timeout: Option<SimDuration>,
    /// Which follower becomes leader.
    pub promote: Promote,
}

/// `leader_follower`'s registry row.
pub(super) const ROW: ReplicationRow = Row {
    name: "leader_follower",
    aliases: &["primary_backup"],
    description: "one leader takes the writes and ships them to every follower (sync, semi-sync or async); failover promotes a follower",
    params: &[
        Param::optional(
            "mode",
            "\"async\"",
            "\"sync\" (every follower acks first), \"semi_sync\" (`acks` followers do) or \"async\" (answer at once, ship after `lag`)",
        ),
        Param::optional("acks", "1", "semi_sync: followers that must ack a write"),
        Param::optional(
            "lag",
            "\"0ms\"",
            "async: how long after its ack a write is shipped: a duration, or a distribution of durations ({ dist = \"exp\", mean = \"50ms\" }), drawn per write, the log kept in order",
        ),
        Param::optional(
            "reads",
            "\"leader\"",
            "\"leader\", or \"any\": every replica serves reads from its own data",
        ),
        Param::optional("heartbeat", "\"100ms\"", "the leader's heartbeat interval"),
        Param::optional(
            "failover_timeout",
            "\"1s\"",
            "a follower without heartbeats this long promotes a new leader; \"off\": never",
        ),
        Param::optional(
            "promote",
            "\"most_caught_up\"",
            "\"most_caught_up\" or \"first\" (the first follower to notice, however far behind)",
        ),
    ],
    value: parse_row,
};

fn duration(
    args: &mut dyn Args,
    name: &'static str,
    default: &str,
) -> Result<SimDuration, ArgError> {
    let text = args.text(name)?.unwrap_or_else(|| default.to_string());
    duration_param(name, &text)
}

fn parse_row(args: &mut dyn Args) -> Result<ReplicationSpec, ArgError> {
    let acks = args.integer("acks")?;
    let lag = args.duration_distribution("lag")?;
    let shipping = match args.text("mode")?.as_deref() {
        None | Some("async") => {
            if acks.is_some() {
                return Err(ArgError::at(
                    "acks",
                    "`acks` goes with mode = \"semi_sync\"",
                ));
            }
            Shipping::Async(lag.map_or_else(Lag::none, |delay| Lag { delay }))
        }
        Some(mode @ ("sync" | "semi_sync")) => {
            if lag.is_some() {
                return Err(ArgError::at("lag", "`lag` goes with mode = \"async\""));
            }
            if mode == "sync" {
                if acks.is_some() {
                    return Err(ArgError::at(
                        "acks",
                        "`acks` goes with mode = \"semi_sync\"",
                    ));
                }
                Shipping::Sync
            } else {
                let acks = acks.unwrap_or(1);
                if acks == 0 {
                    return Err(ArgError::at(
                        "acks",
                        "semi_sync needs acks >= 1 (0 acks is mode = \"async\")",
                    ));
                }
                Shipping::SemiSync(usize::try_from(acks).unwrap_or(usize::MAX))
            }
        }
        Some(other) => {
            return Err(ArgError::at(
                "mode",
                format!("mode must be \"sync\", \"semi_sync\" or \"async\", got {other:?}"),
            ))
        }
    };
    let reads = match args.text("reads")?.as_deref() {
        None | Some("leader") => Reads::Leader,
        Some("any") => Reads::Any,
        Some(other) => {
            return Err(ArgError::at(
                "reads",
                format!("reads must be \"leader\" or \"any\", got {other:?}"),
            ))
        }
    };
    let heartbeat = duration(args, "heartbeat", "100ms")?;
    if heartbeat == SimDuration::ZERO {
        return Err(ArgError::at("heartbeat", "heartbeat must be longer than 0"));
    }
    let failover_timeout = match args.text("failover_timeout")?.as_deref() {
        Some("off") => None,
        text => {
            let timeout = duration_param("failover_timeout", text.unwrap_or("1s"))?;
            if timeout <= heartbeat {
                return Err(ArgError::at(
                    "failover_timeout",
                    format!(
                        "failover_timeout ({timeout}) must be longer than the heartbeat ({heartbeat}), or every follower would fail the leader over between two heartbeats"
                    ),
                ));
            }
            Some(timeout)
        }
    };
    let promote = match args.text("promote")?.as_deref() {
        None | Some("most_caught_up") => Promote::MostCaughtUp,
        Some("first") => Promote::First,
        Some(other) => {
            return Err(ArgError::at(
                "promote",
                format!("promote must be \"most_caught_up\" or \"first\", got {other:?}"),
            ))
        }
    };
    Ok(ReplicationSpec::LeaderFollower(LeaderFollowerSpec {
        shipping,
        reads,
        heartbeat,
        failover_timeout,
        promote,
    }))
}

/// Who leads, and how far each member has applied the log: one run's, shared by the group.
#[derive(Clone, Debug)]
pub struct Directory(Arc<Mutex<DirectoryState>>);

/// The directory's contents.
#[derive(Clone, Debug)]
struct DirectoryState {
    members: Vec<NodeId>,
    leader: NodeId,
    term: u64,
    /// Per member (in `members` order): the highest log position it applied.
    applied: Vec<u64>,
    /// The last log position issued, by any leader: positions grow across terms, so a
    /// higher one is a later write.
    issued: u64,
}

/// A promotion's result.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Promotion {
    /// The new leader.
    pub leader: NodeId,
    /// Its term.
    pub term: u64,
}

impl Directory {
    /// `members` (non-empty), the first leading in term 1.
    pub fn new(members: Vec<NodeId>) -> Self {
        assert!(!members.is_empty(), "a replicated group has members");
        let n = members.len();
        Directory(Arc::new(Mutex::new(DirectoryState {
            leader: members[0],
            members,
            term: 1,
            applied: vec![0; n],
            issued: 0,
        })))
    }

    fn lock(&self) -> MutexGuard<'_, DirectoryState> {
        // Only a panic while holding the lock poisons it, and a panic already ends the run.
        self.0
            .lock()
            .expect("directory lock poisoned by an earlier panic")
    }

    /// The leader and its term.
    pub fn leader(&self) -> (NodeId, u64) {
        let state = self.lock();
        (state.leader, state.term)
    }

    /// The log position of a write the leader takes now.
    pub fn next_position(&self) -> u64 {
        let mut state = self.lock();
        state.issued += 1;
        state.issued
    }

    /// `node` has applied the leader's log up to `position`.
    pub fn applied(&self, node: NodeId, position: u64) {
        let mut state = self.lock();
        if let Some(i) = state.members.iter().position(|m| *m == node) {
            state.applied[i] = state.applied[i].max(position);
        }
    }

    /// `candidate` saw term `seen_term`'s leader go silent: unless another member
    /// has already been promoted past that term, promotes one by `rule` (the candidate itself,
    /// or the member other than the old leader that applied most, lowest id on a tie) and
    /// returns it; `None` when the failover already happened (then the caller adopts
    /// [`Directory::leader`]).
    pub fn fail_over(&self, candidate: NodeId, seen_term: u64, rule: Promote) -> Option<Promotion> {
        let mut state = self.lock();
        if state.term != seen_term || state.leader == candidate {
            return None;
        }
        let old = state.leader;
        let leader = match rule {
            Promote::First => candidate,
            Promote::MostCaughtUp => {
                let mut best: Option<(u64, NodeId)> = None;
                for (member, applied) in state.members.iter().zip(&state.applied) {
                    if *member != old && best.is_none_or(|(a, _)| *applied > a) {
                        best = Some((*applied, *member));
                    }
                }
                best.map_or(candidate, |(_, member)| member)
            }
        };
        state.leader = leader;
        state.term += 1;
        Some(Promotion {
            leader,
            term: state.term,
        })
    }

    /// A manual failover: `node` leads from a new term, whatever the old leader's state (an
    /// operator's switchover; the members learn it at their next tick, or from the new
    /// leader's heartbeat). `None` if `node` is not a member or already leads.
    pub fn promote(&self, node: NodeId) -> Option<Promotion> {
        let mut state = self.lock();
        if state.leader == node || !state.members.contains(&node) {
            return None;
        }
        state.leader = node;
        state.term += 1;
        Some(Promotion {
            leader: node,
            term: state.term,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sim_core::registry::{ArgMap, ArgValue};

    fn parse(args: ArgMap) -> Result<ReplicationSpec, ArgError> {
        parse_row(&mut { args })
    }

    // Goal: the defaults, and each parameter that belongs to another mode, is out of range or
    // misspelt, answered with its name.
    #[test]
    fn parameters_are_validated() {
        let ReplicationSpec::LeaderFollower(spec) = parse(ArgMap::new()).expect("defaults") else {
            panic!("a leader-follower spec");
        };
        assert!(matches!(&spec.shipping, Shipping::Async(lag) if lag.is_zero()));
        assert_eq!(spec.failover_timeout, Some(SimDuration::from_secs(1)));
        let text = |s: &str| ArgValue::Text(s.to_string());
        let err = |args: ArgMap| parse(args).unwrap_err().param;
        assert_eq!(
            err(ArgMap::new()
                .with("mode", text("sync"))
                .with("acks", ArgValue::Integer(2))),
            Some("acks")
        );
        assert_eq!(
            err(ArgMap::new()
                .with("mode", text("semi_sync"))
                .with("acks", ArgValue::Integer(0))),
            Some("acks")
        );
        assert_eq!(
            err(ArgMap::new()
                .with("mode", text("sync"))
                .with("lag", text("1s"))),
            Some("lag")
        );
        assert_eq!(
            err(ArgMap::new().with("mode", text("eventual"))),
            Some("mode")
        );
        assert_eq!(
            err(ArgMap::new().with("failover_timeout", text("50ms"))),
            Some("failover_timeout")
        );
        assert_eq!(
            err(ArgMap::new().with("reads", text("followers"))),
            Some("reads")
        );
    }

    // Goal: exactly one promotion per term, by the rule: the most caught-up member other than
    // the old leader, or the candidate itself.
    #[test]
    fn one_promotion_per_term() {
        let d = Directory::new(vec![NodeId(0), NodeId(1), NodeId(2)]);
        d.applied(NodeId(1), 5);
        d.applied(NodeId(2), 9);
        d.applied(NodeId(0), 12);
        let p = d.fail_over(NodeId(1), 1, Promote::MostCaughtUp);
        assert_eq!(
            p,
            Some(Promotion {
                leader: NodeId(2),
                term: 2
            })
        );
        // A second follower noticing the same silent term changes nothing.
        assert_eq!(d.fail_over(NodeId(1), 1, Promote::MostCaughtUp), None);
        assert_eq!(d.leader(), (NodeId(2), 2));
        let p = d.fail_over(NodeId(0), 2, Promote::First);
        assert_eq!(
            p,
            Some(Promotion {
                leader: NodeId(0),
                term: 3
            })
        );
    }
}
