//! Dynamo-style leaderless quorums: a coordinator sends each read and write to the key's N
//! replicas and answers after the first R (reads) or W (writes) replies.
//!
//! The plain parts of the scheme, testable without the engine: [`QuorumSpec`] (N, R, W, who
//! coordinates, read repair), validated at construction; [`Coordinator`], the
//! first-k-of-n bookkeeping one coordinator keeps for its operations in flight; and
//! [`Replica`], one replica's versions. The store role (`crate::roles::store`) and a client
//! that coordinates for itself host them.
//!
//! What the scheme does, after Bailis et al., "Probabilistically Bounded Staleness for
//! Practical Partial Quorums" (VLDB 2012), whose WARS model it is:
//! - A write gets the next version of its key (last writer wins by version; versions are
//!   issued in the order writes start, as by a perfectly synchronised clock) and goes to all
//!   N replicas at once; it is acknowledged at the W-th ack, and keeps propagating to the
//!   other replicas after that (the *expanding quorum*: nothing is cancelled).
//! - A read goes to all N replicas and returns the newest version among the first R replies.
//! - Read repair (`async`): once a read has its answer, every replica that replied, or
//!   replies later, with an older version than the newest seen is sent that version (a late
//!   reply newer than the answer repairs the earlier repliers, the answer's among them).
//!
//! - Sloppy quorum with hinted handoff (`sloppy = "on"`, after DeCandia et al., "Dynamo",
//!   SOSP 2007, section 4.6): a coordinator that has had no reply from a replica for
//!   `suspect_after` since it first sent it something takes the next healthy node of the key's
//!   preference list instead (a *fallback*), and still sends the suspect one copy of an
//!   operation every `suspect_after` (its reply ends the suspicion). A fallback that accepts
//!   a write for a key it is not a home replica of keeps a hint, and every `handoff_interval`
//!   sends the hinted version to each of the key's N home replicas until each has acked it;
//!   then it forgets the key. Its reads are served from what it holds, hints included.
//!
//! - Anti-entropy (`anti_entropy = "<interval>"`): replicas compare Merkle trees with their
//!   peers in turn and exchange the keys of the ranges that differ
//!   ([`super::anti_entropy`]).
//!
//! **Limitations:** no vector clocks (siblings are never kept): last writer wins by version. A fallback hands a hint to all N home replicas, not only the one it
//! stood in for (the write's message does not name it): healthy ones just ack.

use sim_core::registry::{ArgError, Args, Param, Row};
use sim_core::{NodeId, SimDuration};

use super::anti_entropy::AntiEntropy;
use super::history::{Key, Version};
use super::registry::{duration_param, ReplicationRow, ReplicationSpec};
use crate::fixed_hash::FixedHashMap;

/// `quorum`'s registry row.
pub(super) const ROW: ReplicationRow = Row {
    name: "quorum",
    aliases: &["dynamo", "leaderless"],
    description: "Dynamo-style leaderless quorums: each operation to a key's N replicas, done after R (reads) or W (writes) replies",
    params: &[
        Param::optional("n", "3", "replicas per key (1 to 16, at most the group's size)"),
        Param::optional("r", "2", "replies a read waits for (1 to n)"),
        Param::optional("w", "2", "acks a write waits for (1 to n)"),
        Param::optional(
            "coordinator",
            "\"replica\"",
            "\"replica\": the key's first replica coordinates the client's request; \"client\": the client sends to the replicas itself",
        ),
        Param::optional(
            "read_repair",
            "\"off\"",
            "\"async\": after a read, send its version to the replicas that answered older",
        ),
        Param::optional(
            "sloppy",
            "\"off\"",
            "\"on\": a sloppy quorum with hinted handoff (suspected replicas are replaced by the next healthy nodes of the key's preference list)",
        ),
        Param::optional(
            "suspect_after",
            "\"200ms\"",
            "sloppy: a replica that has not replied for this long since it was sent something is suspected",
        ),
        Param::optional(
            "anti_entropy",
            "\"off\"",
            "an interval: each replica compares its Merkle tree with its next peer's this often and exchanges the keys of the ranges that differ",
        ),
        Param::optional(
            "ranges",
            "1024",
            "anti_entropy: leaves of the Merkle tree (a power of two up to 2^20)",
        ),
        Param::optional(
            "handoff_interval",
            "\"1s\"",
            "sloppy: how often a fallback sends its hinted writes to their home replicas",
        ),
    ],
    value: parse_row,
};

fn parse_row(args: &mut dyn Args) -> Result<ReplicationSpec, ArgError> {
    let count = |args: &mut dyn Args, name: &'static str, default: usize| {
        Ok::<usize, ArgError>(
            args.integer(name)?
                .map_or(default, |v| usize::try_from(v).unwrap_or(usize::MAX)),
        )
    };
    let n = count(args, "n", 3)?;
    let r = count(args, "r", 2)?;
    let w = count(args, "w", 2)?;
    let coordination = match args.text("coordinator")?.as_deref() {
        None | Some("replica") => Coordination::Replica,
        Some("client") => Coordination::Client,
        Some(other) => {
            return Err(ArgError::at(
                "coordinator",
                format!("coordinator must be \"replica\" or \"client\", got {other:?}"),
            ))
        }
    };
    let read_repair = match args.text("read_repair")?.as_deref() {
        None | Some("off") => ReadRepair::Off,
        Some("async") => ReadRepair::Async,
        Some(other) => {
            return Err(ArgError::at(
                "read_repair",
                format!("read_repair must be \"off\" or \"async\", got {other:?}"),
            ))
        }
    };
    let suspect_after = args.text("suspect_after")?;
    let handoff_interval = args.text("handoff_interval")?;
    let sloppy = match args.text("sloppy")?.as_deref() {
        None | Some("off") => {
            if let Some(name) = [
                ("suspect_after", &suspect_after),
                ("handoff_interval", &handoff_interval),
            ]
            .into_iter()
            .find_map(|(name, given)| given.is_some().then_some(name))
            {
                return Err(ArgError::at(
                    name,
                    format!("`{name}` goes with sloppy = \"on\""),
                ));
            }
            None
        }
        Some("on") => {
            let positive = |name: &'static str, text: Option<String>, default: &str| {
                let text = text.unwrap_or_else(|| default.to_string());
                let d = duration_param(name, &text)?;
                if d == SimDuration::ZERO {
                    return Err(ArgError::at(name, format!("{name} must be longer than 0")));
                }
                Ok(d)
            };
            Some(Sloppy {
                suspect_after: positive("suspect_after", suspect_after, "200ms")?,
                handoff_interval: positive("handoff_interval", handoff_interval, "1s")?,
            })
        }
        Some(other) => {
            return Err(ArgError::at(
                "sloppy",
                format!("sloppy must be \"off\" or \"on\", got {other:?}"),
            ))
        }
    };
    let ranges = args.integer("ranges")?;
    let anti_entropy = match args.text("anti_entropy")?.as_deref() {
        None | Some("off") => {
            if ranges.is_some() {
                return Err(ArgError::at(
                    "ranges",
                    "`ranges` goes with anti_entropy = \"<interval>\"",
                ));
            }
            None
        }
        Some(text) => {
            let interval = duration_param("anti_entropy", text)?;
            Some(AntiEntropy::new(interval, ranges.unwrap_or(1024))?)
        }
    };
    let mut spec =
        QuorumSpec::new(n, r, w, coordination).map_err(|e| ArgError::at(e.field, e.message))?;
    spec.read_repair = read_repair;
    spec.sloppy = sloppy;
    spec.anti_entropy = anti_entropy;
    Ok(ReplicationSpec::Quorum(spec))
}

/// Who coordinates a quorum operation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Coordination {
    /// The client itself sends to the N replicas (client-side coordination, as PBS's WARS
    /// model has it): no extra hop, every replica across the network.
    Client,
    /// The replica the client sent the request to (its key's first replica under the
    /// store's placement) coordinates: its own replica answers without a network hop.
    Replica,
}

/// What a coordinator does about stale replicas it sees while reading.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReadRepair {
    /// Nothing.
    Off,
    /// After answering, write the newest version seen to every replica that replied with an
    /// older one, including later repliers.
    Async,
}

/// Sloppy quorum with hinted handoff (see the module documentation).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Sloppy {
    /// A replica with no reply for this long since it was first sent something is suspected.
    pub suspect_after: SimDuration,
    /// How often a fallback sends its hints home.
    pub handoff_interval: SimDuration,
}

/// The largest replication factor: a coordinator keeps its replies per operation inline.
pub const MAX_N: usize = 16;

/// A quorum configuration, valid by construction: `1 <= R, W <= N <= MAX_N`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct QuorumSpec {
    n: usize,
    r: usize,
    w: usize,
    /// Who coordinates.
    pub coordination: Coordination,
    /// Read repair.
    pub read_repair: ReadRepair,
    /// Sloppy quorum with hinted handoff, or `None` (strict membership: N home replicas).
    pub sloppy: Option<Sloppy>,
    /// Periodic anti-entropy, or `None`.
    pub anti_entropy: Option<AntiEntropy>,
}

/// Why a quorum configuration is invalid, naming the parameter at fault.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QuorumError {
    /// `n`, `r` or `w`.
    pub field: &'static str,
    /// What is wrong and what would be valid.
    pub message: String,
}

impl QuorumSpec {
    /// N replicas per key, reads from R, writes to W, with `coordination`; no read repair.
    pub fn new(
        n: usize,
        r: usize,
        w: usize,
        coordination: Coordination,
    ) -> Result<Self, QuorumError> {
        if n == 0 || n > MAX_N {
            return Err(QuorumError {
                field: "n",
                message: format!("n (replicas per key) must be 1 to {MAX_N}, got {n}"),
            });
        }
        for (field, k, what) in [
            ("r", r, "the replies a read waits for"),
            ("w", w, "the acks a write waits for"),
        ] {
            if k == 0 || k > n {
                let why = if k == 0 {
                    " (0 would answer before any replica had)"
                } else {
                    ""
                };
                return Err(QuorumError {
                    field,
                    message: format!("{field} ({what}) must be 1 to n = {n}, got {k}{why}"),
                });
            }
        }
        Ok(QuorumSpec {
            n,
            r,
            w,
            coordination,
            read_repair: ReadRepair::Off,
            sloppy: None,
            anti_entropy: None,
        })
    }

    /// Replicas per key.
    pub fn n(&self) -> usize {
        self.n
    }

    /// Replies a read waits for.
    pub fn r(&self) -> usize {
        self.r
    }

    /// Acks a write waits for.
    pub fn w(&self) -> usize {
        self.w
    }

    /// Whether every read quorum meets every write quorum (`R + W > N`): a *strict* quorum,
    /// whose reads see the latest acknowledged write while no replica loses data.
    pub fn is_strict(&self) -> bool {
        self.r + self.w > self.n
    }

    /// The replies an operation of `kind` waits for.
    pub fn needed(&self, kind: OpKind) -> usize {
        match kind {
            OpKind::Read => self.r,
            OpKind::Write => self.w,
        }
    }
}

/// A quorum operation's kind (deletes are writes of a tombstone version).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OpKind {
    /// A read.
    Read,
    /// A write.
    Write,
}

/// One operation in flight at a coordinator. `T` is what its host needs to answer it.
#[derive(Clone, Debug)]
struct Pending<T> {
    tag: T,
    kind: OpKind,
    key: Key,
    needed: u8,
    sent: u8,
    /// A read under read repair: its replies so far, in arrival order (replica, version it
    /// holds). Only read repair needs them, so other operations keep none (and stay small:
    /// a coordinator's operations are looked up on every reply).
    replies: Option<Box<[(NodeId, Version); MAX_N]>>,
    /// Replies so far.
    n_replies: u8,
    /// The operation's version: the write's, or the newest a read has seen.
    version: Version,
    /// Answered (the quorum was reached); kept only while late replies may need repair.
    answered: bool,
}

/// The first `n` replies kept (at most [`MAX_N`]; none when none are kept).
fn stored(replies: &Option<Box<[(NodeId, Version); MAX_N]>>, n: u8) -> &[(NodeId, Version)] {
    replies
        .as_deref()
        .map_or(&[], |all| &all[..usize::from(n).min(MAX_N)])
}

/// The operation a reply completed: what its host answers with.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Completed<T> {
    /// The host's tag.
    pub tag: T,
    /// Read or write.
    pub kind: OpKind,
    /// Which key.
    pub key: Key,
    /// The version written, or the newest of the read's first R replies.
    pub version: Version,
}

/// What one reply did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReplyOutcome<T> {
    /// The operation this reply completed (reached its quorum), if it did.
    pub completed: Option<Completed<T>>,
    /// Replicas to repair: each is sent `version` of `key` (read repair).
    pub repairs: Vec<NodeId>,
    /// The repaired key and version (meaningful when `repairs` is non-empty).
    pub repair: (Key, Version),
}

/// Operations a coordinator keeps at most; when a new one would exceed it, the oldest
/// [`MAX_IN_FLIGHT`] / 16 are dropped at once (their hosts' timeouts end them; one scan per
/// 4,096 operations keeps the drop cheap). Bounds memory when replies never come (a crashed
/// replica with no timeout).
pub const MAX_IN_FLIGHT: usize = 1 << 16;

/// One coordinator's operations in flight, by operation id.
#[derive(Clone, Debug)]
pub struct Coordinator<T> {
    spec: QuorumSpec,
    /// Looked up per reply; iterated only by [`Coordinator::clear`] and the drop of the
    /// oldest, both of which sort by id first.
    ops: FixedHashMap<u64, Pending<T>>,
    next_op: u64,
    dropped: u64,
}

impl<T: Clone> Coordinator<T> {
    /// A coordinator of `spec`'s operations.
    pub fn new(spec: QuorumSpec) -> Self {
        Coordinator {
            spec,
            ops: FixedHashMap::default(),
            next_op: 0,
            dropped: 0,
        }
    }

    /// The configuration.
    pub fn spec(&self) -> &QuorumSpec {
        &self.spec
    }

    /// Starts an operation on `key` sent to `replicas` (at most [`MAX_N`]), of `version` for
    /// a write (ignored for a read); returns its id, which the replicas' replies carry.
    /// With fewer replicas than the quorum needs (a placement with fewer live members), it
    /// can never complete and ends at its host's timeout.
    pub fn begin(
        &mut self,
        tag: T,
        kind: OpKind,
        key: Key,
        version: Version,
        replicas: usize,
    ) -> u64 {
        debug_assert!(replicas <= MAX_N);
        self.next_op += 1;
        let id = self.next_op;
        if self.ops.len() == MAX_IN_FLIGHT {
            let mut ids: Vec<u64> = self.ops.keys().copied().collect();
            let oldest = MAX_IN_FLIGHT / 16;
            ids.select_nth_unstable(oldest - 1);
            for id in &ids[..oldest] {
                self.ops.remove(id);
            }
            self.dropped += oldest as u64;
        }
        let version = if kind == OpKind::Write { version } else { 0 };
        self.ops.insert(
            id,
            Pending {
                tag,
                kind,
                key,
                needed: self.spec.needed(kind) as u8,
                sent: replicas as u8,
                replies: (kind == OpKind::Read && self.spec.read_repair == ReadRepair::Async)
                    .then(|| Box::new([(NodeId(0), 0); MAX_N])),
                n_replies: 0,
                version,
                answered: false,
            },
        );
        id
    }

    /// `replica` answered operation `op`, holding (a read) or having written (a write)
    /// `version`. Replies to operations no longer tracked (answered and settled, abandoned,
    /// dropped) are ignored.
    pub fn reply(&mut self, op: u64, replica: NodeId, version: Version) -> ReplyOutcome<T> {
        let mut outcome = ReplyOutcome {
            completed: None,
            repairs: Vec::new(),
            repair: (0, 0),
        };
        let repair = self.spec.read_repair == ReadRepair::Async;
        let Some(pending) = self.ops.get_mut(&op) else {
            return outcome;
        };
        if let Some(replies) = pending.replies.as_mut() {
            if let Some(slot) = replies.get_mut(usize::from(pending.n_replies)) {
                *slot = (replica, version);
            }
        }
        pending.n_replies = pending.n_replies.saturating_add(1);
        if pending.kind == OpKind::Read && !pending.answered {
            pending.version = pending.version.max(version);
        }
        if !pending.answered && pending.n_replies >= pending.needed {
            pending.answered = true;
            outcome.completed = Some(Completed {
                tag: pending.tag.clone(),
                kind: pending.kind,
                key: pending.key,
                version: pending.version,
            });
            if repair && pending.kind == OpKind::Read {
                // Every replier so far that is behind the answer.
                outcome.repairs = stored(&pending.replies, pending.n_replies)
                    .iter()
                    .filter(|(_, v)| *v < pending.version)
                    .map(|(node, _)| *node)
                    .collect();
            }
        } else if pending.answered && repair && pending.kind == OpKind::Read {
            if version < pending.version {
                outcome.repairs.push(replica);
            } else if version > pending.version {
                // A late replier is newer than the answer: the earlier repliers (the answer's
                // among them) are repaired to it.
                pending.version = version;
                outcome.repairs = stored(&pending.replies, pending.n_replies)
                    .iter()
                    .filter(|(_, v)| *v < version)
                    .map(|(node, _)| *node)
                    .collect();
            }
        }
        outcome.repair = (pending.key, pending.version);
        // Settled: answered, and no late reply can need anything.
        let all_in = pending.n_replies >= pending.sent;
        if pending.answered && (all_in || pending.kind == OpKind::Write || !repair) {
            self.ops.remove(&op);
        }
        outcome
    }

    /// Stops tracking operation `op` (its host gave up on it): `Some(tag)` if it had not yet
    /// reached its quorum, `None` if it had or is unknown.
    pub fn abandon(&mut self, op: u64) -> Option<T> {
        let pending = self.ops.remove(&op)?;
        (!pending.answered).then_some(pending.tag)
    }

    /// Forgets every operation (the coordinator crashed); returns the tags of those not yet
    /// answered, in operation order.
    pub fn clear(&mut self) -> Vec<T> {
        let mut ops: Vec<(u64, Pending<T>)> = std::mem::take(&mut self.ops).into_iter().collect();
        ops.sort_unstable_by_key(|(id, _)| *id);
        ops.into_iter()
            .filter(|(_, p)| !p.answered)
            .map(|(_, p)| p.tag)
            .collect()
    }

    /// Operations tracked now (unanswered, or answered and awaiting late replies for read
    /// repair).
    pub fn in_flight(&self) -> usize {
        self.ops.len()
    }

    /// Operations dropped because [`MAX_IN_FLIGHT`] were tracked.
    pub fn dropped(&self) -> u64 {
        self.dropped
    }
}

/// Keys a replica keeps in a plain table indexed by key (below 2^18: at most 2 MiB); larger
/// keys go to a hash map.
pub const DENSE_KEYS: u64 = 1 << 18;

/// One replica's data: the newest version of each key it holds (last writer wins).
///
/// Looked up on every replica read and write: keys below [`DENSE_KEYS`] (the usual workload
/// key spaces, `0..n`) are a direct index into a table that grows to the largest such key
/// held, which costs no hashing and half the memory of a map; other keys are hashed.
#[derive(Clone, Debug, Default)]
pub struct Replica {
    /// Version by key for keys below [`DENSE_KEYS`] (0: not held).
    dense: Vec<Version>,
    /// Keys held in `dense`.
    dense_held: usize,
    /// Keys at or above [`DENSE_KEYS`].
    sparse: FixedHashMap<Key, Version>,
}

impl Replica {
    /// An empty replica.
    pub fn new() -> Self {
        Replica::default()
    }

    /// Applies a write of `version`; returns the version now held (the newer of the two).
    pub fn write(&mut self, key: Key, version: Version) -> Version {
        if key < DENSE_KEYS {
            let index = key as usize;
            if index >= self.dense.len() {
                let len = (index + 1).next_power_of_two().max(1024) as u64;
                self.dense.resize(len.min(DENSE_KEYS) as usize, 0);
            }
            let held = &mut self.dense[index];
            if *held == 0 && version > 0 {
                self.dense_held += 1;
            }
            *held = (*held).max(version);
            return *held;
        }
        let held = self.sparse.entry(key).or_insert(0);
        *held = (*held).max(version);
        *held
    }

    /// Forgets `key` if it holds no newer version than `up_to` (a fallback whose hints of
    /// it all went home); returns whether it did.
    pub fn forget(&mut self, key: Key, up_to: Version) -> bool {
        if key < DENSE_KEYS {
            let Some(held) = self.dense.get_mut(key as usize) else {
                return false;
            };
            let forget = *held > 0 && *held <= up_to;
            if forget {
                *held = 0;
                self.dense_held -= 1;
            }
            return forget;
        }
        let forget = self.sparse.get(&key).is_some_and(|held| *held <= up_to);
        if forget {
            self.sparse.remove(&key);
        }
        forget
    }

    /// The version of `key` held (0: none).
    #[inline]
    pub fn read(&self, key: Key) -> Version {
        if key < DENSE_KEYS {
            return self.dense.get(key as usize).copied().unwrap_or(0);
        }
        self.sparse.get(&key).copied().unwrap_or(0)
    }

    /// Every (key, version) held, in no particular order: callers sort or combine
    /// order-independently.
    pub fn entries(&self) -> impl Iterator<Item = (Key, Version)> + '_ {
        let dense = self
            .dense
            .iter()
            .enumerate()
            .filter(|(_, v)| **v > 0)
            .map(|(k, v)| (k as Key, *v));
        dense.chain(self.sparse.iter().map(|(k, v)| (*k, *v)))
    }

    /// Keys held.
    pub fn len(&self) -> usize {
        self.dense_held + self.sparse.len()
    }

    /// Whether it holds nothing.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(n: usize, r: usize, w: usize) -> QuorumSpec {
        QuorumSpec::new(n, r, w, Coordination::Client).expect("valid")
    }

    // Goal: the bounds and their messages name the parameter at fault.
    #[test]
    fn invalid_quorums_name_the_field() {
        let err = |n, r, w| QuorumSpec::new(n, r, w, Coordination::Client).unwrap_err();
        assert_eq!(err(3, 4, 1).field, "r");
        assert_eq!(err(3, 1, 0).field, "w");
        assert_eq!(err(0, 1, 1).field, "n");
        assert_eq!(err(MAX_N + 1, 1, 1).field, "n");
        assert!(err(3, 1, 4).message.contains("1 to n = 3, got 4"));
        assert!(spec(3, 2, 2).is_strict());
        assert!(!spec(3, 1, 2).is_strict());
    }

    // Goal: a write completes at exactly its W-th ack and only once; a read answers the
    // newest of its first R replies, not of later ones.
    #[test]
    fn first_k_of_n() {
        let mut c: Coordinator<u32> = Coordinator::new(spec(3, 2, 2));
        let w = c.begin(7, OpKind::Write, 1, 5, 3);
        assert!(c.reply(w, NodeId(0), 5).completed.is_none());
        let done = c.reply(w, NodeId(1), 5).completed.expect("second ack");
        assert_eq!((done.tag, done.version), (7, 5));
        assert!(c.reply(w, NodeId(2), 5).completed.is_none());
        assert_eq!(c.in_flight(), 0);

        let r = c.begin(8, OpKind::Read, 1, 0, 3);
        assert!(c.reply(r, NodeId(0), 3).completed.is_none());
        let done = c.reply(r, NodeId(1), 4).completed.expect("second reply");
        assert_eq!(done.version, 4);
        // A later, newer reply does not change an answered read.
        assert!(c.reply(r, NodeId(2), 9).completed.is_none());
    }

    // Goal: async read repair names exactly the repliers behind the newest version seen,
    // early and late (a late newer reply repairs the earlier ones), and the operation is
    // forgotten once every replica has replied.
    #[test]
    fn read_repair_targets_stale_repliers() {
        let mut s = spec(3, 2, 1);
        s.read_repair = ReadRepair::Async;
        let mut c: Coordinator<()> = Coordinator::new(s);
        let r = c.begin((), OpKind::Read, 9, 0, 3);
        assert!(c.reply(r, NodeId(0), 2).repairs.is_empty());
        let out = c.reply(r, NodeId(1), 6);
        assert_eq!(out.completed.map(|d| d.version), Some(6));
        assert_eq!((out.repairs, out.repair), (vec![NodeId(0)], (9, 6)));
        let late = c.reply(r, NodeId(2), 1);
        assert_eq!(late.repairs, vec![NodeId(2)]);
        assert_eq!(c.in_flight(), 0);

        let r = c.begin((), OpKind::Read, 9, 0, 3);
        c.reply(r, NodeId(0), 2);
        assert_eq!(
            c.reply(r, NodeId(1), 2).completed.map(|d| d.version),
            Some(2)
        );
        let newer = c.reply(r, NodeId(2), 5);
        assert!(newer.completed.is_none());
        assert_eq!(
            (newer.repairs, newer.repair),
            (vec![NodeId(0), NodeId(1)], (9, 5))
        );
    }

    // Goal: abandoning reports only unanswered operations; a crash hands back the unanswered
    // ones in order; the in-flight bound drops the oldest.
    #[test]
    fn abandon_clear_and_bound() {
        let mut c: Coordinator<u64> = Coordinator::new(spec(3, 1, 1));
        let a = c.begin(1, OpKind::Read, 1, 0, 3);
        let b = c.begin(2, OpKind::Write, 1, 1, 3);
        assert_eq!(c.abandon(a), Some(1));
        assert_eq!(c.abandon(a), None);
        c.reply(b, NodeId(0), 1);
        assert_eq!(c.abandon(b), None);
        c.begin(3, OpKind::Read, 1, 0, 3);
        c.begin(4, OpKind::Read, 1, 0, 3);
        assert_eq!(c.clear(), vec![3, 4]);
        let ids: Vec<u64> = (0..MAX_IN_FLIGHT as u64 + 2)
            .map(|i| c.begin(i, OpKind::Read, 1, 0, 3))
            .collect();
        let oldest = MAX_IN_FLIGHT / 16;
        assert_eq!(c.dropped(), oldest as u64);
        assert_eq!(c.in_flight(), MAX_IN_FLIGHT + 2 - oldest);
        // The oldest went, the rest stayed.
        assert_eq!(c.abandon(ids[oldest - 1]), None);
        assert_eq!(c.abandon(ids[oldest]), Some(oldest as u64));
    }

    // Goal: last writer wins by version, whatever order writes arrive in.
    #[test]
    fn replica_keeps_the_newest_version() {
        let mut r = Replica::new();
        assert_eq!(r.read(4), 0);
        assert_eq!(r.write(4, 3), 3);
        assert_eq!(r.write(4, 2), 3);
        assert_eq!((r.read(4), r.len()), (3, 1));
        // A key beyond the table goes to the map; both are listed and forgotten alike.
        let big = DENSE_KEYS + 7;
        assert_eq!(r.write(big, 5), 5);
        let mut all: Vec<(Key, Version)> = r.entries().collect();
        all.sort_unstable();
        assert_eq!(all, vec![(4, 3), (big, 5)]);
        assert!(!r.forget(4, 2));
        assert!(r.forget(4, 3) && r.forget(big, 9));
        assert!(r.is_empty());
        assert_eq!((r.read(4), r.read(big), r.read(DENSE_KEYS - 1)), (0, 0, 0));
    }
}
