//! Raft (Ongaro and Ousterhout, "In Search of an Understandable Consensus Algorithm", USENIX
//! ATC 2014): terms, randomised election timeouts, leader election by majority vote,
//! log replication with commit on a majority of the current term's entries, and reads by
//! read index (the leader confirms it still leads with a round of heartbeats) or by lease.
//!
//! The plain parts, testable without the engine: [`RaftSpec`], validated at construction;
//! [`LogArena`], one run's store of log entries, which messages name by id so that they stay
//! plain data of a fixed size (an entry, once appended by a leader, never changes: the same
//! (index, term) is the same entry everywhere, Raft's Log Matching property); and
//! [`RaftMonitor`], the run's observer outside the nodes, which checks election safety (at most
//! one leader per term) and state machine safety (no two members commit different entries at
//! one index) on every run, and measures elections.
//!
//! The node is `crate::roles::store::raft`.
//!
//! **Limitations:** one log entry per AppendEntries message (pipelined, not batched); a
//! member's term, vote and log are durable (a crash keeps them) and every reply that depends
//! on them waits the `fsync` latency first, but nothing acknowledged is ever lost to a crash
//! mid-fsync; no membership changes, snapshots or log compaction (the arena keeps every entry
//! of the run: ~40 bytes per write); a read-index round's number is 24 bits (it wraps after 16
//! million rounds).

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard};

use sim_core::registry::{ArgError, Args, Param, Row};
use sim_core::{NodeId, SimDuration, SimTime};

use super::registry::{duration_param, ReplicationRow, ReplicationSpec};

/// How a Raft leader serves reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RaftReads {
    /// Record the commit index, confirm leadership with a heartbeat round acknowledged by a
    /// majority, then answer once that index is applied (linearizable).
    ReadIndex,
    /// Answer at once while a majority acknowledged a heartbeat within the last minimum
    /// election timeout (linearizable if clocks do not drift; no round trip).
    Lease,
}

/// A Raft configuration.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RaftSpec {
    /// Election timeouts are drawn uniformly from `[election_min, election_max]`.
    pub election_min: SimDuration,
    /// See `election_min`.
    pub election_max: SimDuration,
    /// The leader's heartbeat interval.
    pub heartbeat: SimDuration,
    /// Time to make the term, vote or log durable before a reply that depends on it.
    pub fsync: SimDuration,
    /// How the leader serves reads.
    pub reads: RaftReads,
    /// Ask for pre-votes first (Ongaro's thesis, 9.6): a member that cannot win does not
    /// bump the term and disrupt the leader.
    pub pre_vote: bool,
}

/// `raft`'s registry row.
pub(super) const ROW: ReplicationRow = Row {
    name: "raft",
    aliases: &[],
    description: "Raft consensus: a leader elected by majority, writes committed on a majority, linearizable reads by read index or lease",
    params: &[
        Param::optional(
            "election_timeout",
            "\"150ms..300ms\"",
            "the election timeout range lo..hi: each timeout is drawn uniformly from it (one duration: no randomisation)",
        ),
        Param::optional("heartbeat", "\"50ms\"", "the leader's heartbeat interval"),
        Param::optional(
            "fsync",
            "\"0ms\"",
            "time to make the term, vote or log durable before replying",
        ),
        Param::optional(
            "reads",
            "\"read_index\"",
            "\"read_index\" (a heartbeat round per read batch) or \"lease\"",
        ),
        Param::optional("pre_vote", "\"off\"", "\"on\": pre-vote before bumping the term"),
    ],
    value: parse_row,
};

fn parse_row(args: &mut dyn Args) -> Result<ReplicationSpec, ArgError> {
    let (election_min, election_max) = match args.text("election_timeout")? {
        None => (SimDuration::from_millis(150), SimDuration::from_millis(300)),
        Some(text) => {
            // A range is written "150ms..300ms"; one duration means no randomisation.
            match text.split_once("..") {
                Some((lo, hi)) => (
                    duration_param("election_timeout", lo.trim())?,
                    duration_param("election_timeout", hi.trim())?,
                ),
                None => {
                    let fixed = duration_param("election_timeout", text.trim())?;
                    (fixed, fixed)
                }
            }
        }
    };
    if election_min == SimDuration::ZERO || election_max < election_min {
        return Err(ArgError::at(
            "election_timeout",
            format!(
                "election_timeout must be a range lo..hi with 0 < lo <= hi, got {election_min}..{election_max}"
            ),
        ));
    }
    let heartbeat = duration_param(
        "heartbeat",
        &args.text("heartbeat")?.unwrap_or_else(|| "50ms".into()),
    )?;
    if heartbeat == SimDuration::ZERO || heartbeat >= election_min {
        return Err(ArgError::at(
            "heartbeat",
            format!(
                "heartbeat ({heartbeat}) must be longer than 0 and shorter than the smallest election timeout ({election_min}), or followers start elections against a live leader"
            ),
        ));
    }
    let fsync = duration_param(
        "fsync",
        &args.text("fsync")?.unwrap_or_else(|| "0ms".into()),
    )?;
    let reads = match args.text("reads")?.as_deref() {
        None | Some("read_index") => RaftReads::ReadIndex,
        Some("lease") => RaftReads::Lease,
        Some(other) => {
            return Err(ArgError::at(
                "reads",
                format!("reads must be \"read_index\" or \"lease\", got {other:?}"),
            ))
        }
    };
    let pre_vote = match args.text("pre_vote")?.as_deref() {
        None | Some("off") => false,
        Some("on") => true,
        Some(other) => {
            return Err(ArgError::at(
                "pre_vote",
                format!("pre_vote must be \"on\" or \"off\", got {other:?}"),
            ))
        }
    };
    Ok(ReplicationSpec::Raft(RaftSpec {
        election_min,
        election_max,
        heartbeat,
        fsync,
        reads,
        pre_vote,
    }))
}

/// A log entry: its position, its term, the term of the entry before it, and the write it
/// carries (`key`'s `version`; a leader's no-op entry carries none).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Entry {
    /// Its index in the log (from 1).
    pub index: u64,
    /// The term of the leader that appended it.
    pub term: u64,
    /// The term of the entry at `index - 1` (0 for the first).
    pub prev_term: u64,
    /// The write: key and version; `None` for a leader's no-op.
    pub write: Option<(u64, u64)>,
}

/// One run's log entries by id (from 1): append-only and shared, so a message names an entry
/// by its id.
#[derive(Clone, Debug, Default)]
pub struct LogArena(Arc<Mutex<Vec<Entry>>>);

impl LogArena {
    /// An empty arena.
    pub fn new() -> Self {
        LogArena::default()
    }

    fn lock(&self) -> MutexGuard<'_, Vec<Entry>> {
        // Only a panic while holding the lock poisons it, and a panic already ends the run.
        self.0
            .lock()
            .expect("arena lock poisoned by an earlier panic")
    }

    /// Stores `entry`; returns its id.
    pub fn push(&self, entry: Entry) -> u64 {
        let mut entries = self.lock();
        entries.push(entry);
        entries.len() as u64
    }

    /// The entry with `id` (from 1).
    pub fn get(&self, id: u64) -> Entry {
        self.lock()[(id - 1) as usize]
    }
}

/// What the monitor saw.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MonitorReport {
    /// Terms in which two different members became leader (election safety broken).
    pub two_leaders: u64,
    /// Indices at which two members committed different entries (state machine safety
    /// broken).
    pub divergent_commits: u64,
}

#[derive(Debug, Default)]
struct MonitorState {
    leaders: BTreeMap<u64, NodeId>,
    /// Committed entry id per index (the first member to commit it).
    committed: Vec<u64>,
    /// Since when no member has led (an election is under way), if one is.
    leaderless_since: Option<SimTime>,
    report: MonitorReport,
}

/// One run's Raft observer, outside the nodes: every member reports the leaderships it takes
/// and the entries it commits.
#[derive(Clone, Debug, Default)]
pub struct RaftMonitor(Arc<Mutex<MonitorState>>);

impl RaftMonitor {
    /// A fresh monitor.
    pub fn new() -> Self {
        RaftMonitor::default()
    }

    fn lock(&self) -> MutexGuard<'_, MonitorState> {
        self.0
            .lock()
            .expect("monitor lock poisoned by an earlier panic")
    }

    /// A member's election timer fired at `now` (it starts an election): if no election was
    /// under way, the group is leaderless from now.
    pub fn election_started(&self, now: SimTime) {
        let mut state = self.lock();
        state.leaderless_since.get_or_insert(now);
    }

    /// The leader crashed at `now`: the group is leaderless from then (an election that
    /// starts later is part of the same span).
    pub fn leader_lost(&self, now: SimTime) {
        self.lock().leaderless_since = Some(now);
    }

    /// `leader` won `term` at `now`: how long the group was leaderless before it (since the
    /// first election timer fired), if an election was under way, and whether election
    /// safety still holds (no other member won `term`).
    pub fn elected(&self, term: u64, leader: NodeId, now: SimTime) -> (Option<SimDuration>, bool) {
        let mut state = self.lock();
        let safe = match state.leaders.get(&term) {
            Some(other) => *other == leader,
            None => {
                state.leaders.insert(term, leader);
                true
            }
        };
        if !safe {
            state.report.two_leaders += 1;
        }
        let leaderless = state
            .leaderless_since
            .take()
            .map(|since| now.saturating_since(since));
        (leaderless, safe)
    }

    /// A member committed the entry with `id` at `index`; whether state machine safety still
    /// holds (every member that committed `index` committed this entry, in index order).
    pub fn committed(&self, index: u64, id: u64) -> bool {
        let mut state = self.lock();
        let i = (index - 1) as usize;
        let safe = if i < state.committed.len() {
            state.committed[i] == id
        } else if i == state.committed.len() {
            state.committed.push(id);
            true
        } else {
            // Members commit in index order, so a gap means an earlier index was skipped.
            false
        };
        if !safe {
            state.report.divergent_commits += 1;
        }
        safe
    }

    /// What it saw.
    pub fn report(&self) -> MonitorReport {
        self.lock().report.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sim_core::registry::{ArgMap, ArgValue};

    fn parse(args: ArgMap) -> Result<ReplicationSpec, ArgError> {
        parse_row(&mut { args })
    }

    // Goal: defaults, ranges and fixed timeouts parse; bad values name their parameter.
    #[test]
    fn parameters() {
        let ReplicationSpec::Raft(spec) = parse(ArgMap::new()).expect("defaults") else {
            panic!("a raft spec");
        };
        assert_eq!(spec.election_min, SimDuration::from_millis(150));
        assert_eq!(spec.election_max, SimDuration::from_millis(300));
        let text = |s: &str| ArgValue::Text(s.to_string());
        let ReplicationSpec::Raft(fixed) =
            parse(ArgMap::new().with("election_timeout", text("150ms"))).expect("fixed")
        else {
            panic!("a raft spec");
        };
        assert_eq!(fixed.election_min, fixed.election_max);
        let err = |args: ArgMap| parse(args).unwrap_err().param;
        assert_eq!(
            err(ArgMap::new().with("election_timeout", text("300ms..150ms"))),
            Some("election_timeout")
        );
        assert_eq!(
            err(ArgMap::new().with("heartbeat", text("200ms"))),
            Some("heartbeat")
        );
        assert_eq!(
            err(ArgMap::new().with("reads", text("stale"))),
            Some("reads")
        );
    }

    // Goal: the monitor counts a second leader in one term and a divergent commit, and
    // measures the leaderless span from the first election timer.
    #[test]
    fn monitor_catches_safety_violations() {
        let m = RaftMonitor::new();
        m.election_started(SimTime(100));
        m.election_started(SimTime(150));
        assert_eq!(
            m.elected(2, NodeId(1), SimTime(400)),
            (Some(SimDuration::from_nanos(300)), true)
        );
        assert_eq!(m.elected(2, NodeId(1), SimTime(500)), (None, true));
        assert_eq!(m.elected(2, NodeId(3), SimTime(600)), (None, false));
        assert!(m.committed(1, 10));
        assert!(m.committed(1, 10));
        assert!(m.committed(2, 11));
        assert!(!m.committed(2, 12));
        assert!(!m.committed(9, 13));
        assert_eq!(
            m.report(),
            MonitorReport {
                two_leaders: 1,
                divergent_commits: 2
            }
        );
    }
}
