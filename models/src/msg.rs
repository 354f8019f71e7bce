//! The message every role speaks: requests and responses at the request level.
//!
//! All nodes of one simulation share one message type (the engine is generic over it), so the
//! roles that scenarios compose — clients, servers, caches, balancers, and the families still
//! to come — exchange this enum. A role family in this crate that needs its own protocol
//! (gossip, Raft) adds a variant here; the compiler then shows every role that must decide
//! what to do with it. A protocol defined in a user's own crate speaks [`Msg::Custom`]: plain
//! data (a kind number and three words), stored inline like every other message, which that
//! protocol's nodes decode and every other role ignores.

use sim_core::{Message, NodeId, SimTime};

use crate::workload::{KeyId, Op};

/// Bytes of headers on every message, on top of any value it carries.
pub const HEADER_BYTES: u64 = 64;

/// A client's request, as it travels to a server (possibly through intermediaries).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Request {
    /// Unique per client; the client matches the response with it.
    pub id: u64,
    /// The client that issued it, where the response goes.
    pub client: NodeId,
    /// Read, write or delete.
    pub op: Op,
    /// Which key.
    pub key: KeyId,
    /// Value bytes carried (writes) or expected (reads).
    pub value_bytes: u32,
    /// When the client sent it, for end-to-end latency.
    pub sent_at: SimTime,
}

impl Request {
    /// The answer to this request with `status`, echoing its id, operation, key, value size
    /// and send time.
    pub fn answer(&self, status: Status) -> Response {
        Response {
            id: self.id,
            op: self.op,
            key: self.key,
            status,
            value_bytes: self.value_bytes,
            sent_at: self.sent_at,
        }
    }
}

/// How a request ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Status {
    /// Served.
    Ok,
    /// Refused because the server's queue was full.
    Busy,
    /// No backend could take it (a balancer with every backend ejected).
    Unavailable,
    /// A look-aside cache does not hold the key (the client reads the store and fills it).
    Miss,
    /// Refused by a rate limiter (an HTTP 429).
    RateLimited,
}

impl Status {
    /// The status's name in metric paths.
    pub fn name(self) -> &'static str {
        match self {
            Status::Ok => "ok",
            Status::Busy => "busy",
            Status::Unavailable => "unavailable",
            Status::Miss => "miss",
            Status::RateLimited => "rate_limited",
        }
    }
}

/// The answer to a [`Request`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Response {
    /// The request's id.
    pub id: u64,
    /// The request's operation.
    pub op: Op,
    /// The request's key.
    pub key: KeyId,
    /// How it ended.
    pub status: Status,
    /// Value bytes carried back (reads).
    pub value_bytes: u32,
    /// The request's send time, echoed.
    pub sent_at: SimTime,
}

/// Everything that crosses the simulated network between roles.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Msg {
    /// Client to server.
    Request(Request),
    /// Server to client.
    Response(Response),
    /// A health check: "are you up?" (answered at once, outside the service model, as a
    /// cheap health endpoint is).
    Probe {
        /// Matches the answer to the probe.
        seq: u64,
    },
    /// The answer to a [`Msg::Probe`].
    ProbeAck {
        /// The probe's `seq`.
        seq: u64,
    },
    /// A cache-aside client fills a look-aside cache after reading the store (one-way: no
    /// answer).
    Set {
        /// Which key.
        key: KeyId,
        /// Its value's size.
        value_bytes: u32,
    },
    /// A cache-aside client invalidates a key after writing the store (one-way).
    Invalidate {
        /// Which key.
        key: KeyId,
    },
    /// Between a replicated store's coordinator and a key's replica (see [`ReplicaMsg`]).
    Replica(ReplicaMsg),
    /// Between Raft members (see [`RaftMsg`]).
    Raft(RaftMsg),
    /// Between gossip members (see [`GossipMsg`]).
    Gossip(GossipMsg),
    /// Between members of a membership group: failure-detector traffic (see [`MemberMsg`]).
    Member(MemberMsg),
    /// A message of a protocol defined outside this crate (see [`CustomMsg`]).
    Custom(CustomMsg),
}

/// What a [`GossipMsg`] is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum GossipKind {
    /// The sender's rumours (`mask` over ids from `base`).
    Push,
    /// "Send me your hot rumours from `base` that I lack": `mask` is what the sender knows
    /// there.
    PullRequest,
    /// The answer to a pull: the callee's rumours the caller lacked.
    PullReply,
    /// Feedback to a push: of its rumours, these (`mask`) the receiver already knew.
    Feedback,
    /// Anti-entropy: "here is everything I know": `mask` is the id of the sender's digest
    /// in the run's dissemination log, `base` its length in 64-bit words.
    Digest,
    /// The answer to a [`GossipKind::Digest`]: the callee's own digest, likewise.
    DigestReply,
}

impl GossipKind {
    /// Its name in traces.
    pub fn name(self) -> &'static str {
        match self {
            GossipKind::Push => "gossip_push",
            GossipKind::PullRequest => "gossip_pull",
            GossipKind::PullReply => "gossip_pull_reply",
            GossipKind::Feedback => "gossip_feedback",
            GossipKind::Digest => "gossip_digest",
            GossipKind::DigestReply => "gossip_digest_reply",
        }
    }
}

/// A gossip message: a set of rumour ids as a 64-bit mask over `base..base + 64`, so a
/// message names up to 64 rumours without allocating (a node sends one per block of ids).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GossipMsg {
    /// What it is.
    pub kind: GossipKind,
    /// Hops the rumours' copies travelled to the sender (pushes and replies).
    pub hops: u16,
    /// The first rumour id the mask covers.
    pub base: u32,
    /// Bit i: rumour `base + i`.
    pub mask: u64,
    /// Bytes per rumour carried (pushes and replies); a pull or feedback carries its mask.
    pub rumour_bytes: u32,
}

impl GossipMsg {
    /// Payload bytes on the wire: the rumours it carries, the 12-byte digest of a pull or
    /// feedback, or an anti-entropy digest's 12 bytes plus 8 per word of its bitmap.
    pub fn payload_bytes(&self) -> u64 {
        match self.kind {
            GossipKind::Push | GossipKind::PullReply => {
                u64::from(self.mask.count_ones()) * u64::from(self.rumour_bytes)
            }
            GossipKind::PullRequest | GossipKind::Feedback => 12,
            // The bitmap of the sender's state: its cost grows with what it knows.
            GossipKind::Digest | GossipKind::DigestReply => 12 + 8 * u64::from(self.base),
        }
    }
}

/// What a [`MemberMsg`] is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum MemberKind {
    /// SWIM: "are you alive?" (`seq`: the prober's probe).
    Ping,
    /// SWIM: the answer to a ping (from the target, or relayed by a ping-req helper).
    Ack,
    /// SWIM: "ping member `about` for me" (`seq`: the prober's probe).
    PingReq,
    /// SWIM: a helper's ping on behalf of member `about`.
    IndirectPing,
    /// SWIM: the answer to an indirect ping, to the helper, for member `about`.
    IndirectAck,
    /// A heartbeat (`seq`: the sender's counter).
    Heartbeat,
    /// A gossip heartbeat table: `at` names it in the run's board, `table` its entries.
    Table,
    /// SWIM: a full state exchange (memberlist's push-pull, also a restarted member's
    /// join): the receiver merges both views; `table` is the entries each side sends.
    PushPull,
    /// SWIM: the answer to a [`MemberKind::PushPull`], after the merge.
    PushPullAck,
}

impl MemberKind {
    /// The kind's name in traces.
    pub fn name(self) -> &'static str {
        match self {
            MemberKind::Ping => "swim_ping",
            MemberKind::Ack => "swim_ack",
            MemberKind::PingReq => "swim_ping_req",
            MemberKind::IndirectPing => "swim_indirect_ping",
            MemberKind::IndirectAck => "swim_indirect_ack",
            MemberKind::Heartbeat => "heartbeat",
            MemberKind::Table => "heartbeat_table",
            MemberKind::PushPull => "swim_push_pull",
            MemberKind::PushPullAck => "swim_push_pull_ack",
        }
    }
}

/// Bytes of one piggybacked membership update on the wire (a member's name and address,
/// incarnation and state, about memberlist's encoding of an alive message).
pub const MEMBER_UPDATE_BYTES: u64 = 24;

/// Bytes of one gossip heartbeat table entry (member id, counter).
pub const TABLE_ENTRY_BYTES: u64 = 8;

/// A failure detector's message. Piggybacked updates travel by slot in the run's update
/// arena and tables by id in its board, so the message is plain data.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MemberMsg {
    /// What it is.
    pub kind: MemberKind,
    /// Piggybacked updates, stored from slot `at` of the arena.
    pub updates: u8,
    /// The probe (SWIM) or the heartbeat counter.
    pub seq: u32,
    /// The member a ping-req or indirect message is about.
    pub about: u32,
    /// The first piggybacked update's arena slot, or a table's board id.
    pub at: u64,
    /// Entries of a table.
    pub table: u32,
}

impl MemberMsg {
    /// Payload bytes: 8 for the sequence and member, plus the piggybacked updates, and a
    /// table's entries (8 bytes each) or a push-pull's states (one update's bytes each).
    pub fn payload_bytes(&self) -> u64 {
        let entry = match self.kind {
            MemberKind::PushPull | MemberKind::PushPullAck => MEMBER_UPDATE_BYTES,
            _ => TABLE_ENTRY_BYTES,
        };
        8 + u64::from(self.updates) * MEMBER_UPDATE_BYTES + u64::from(self.table) * entry
    }
}

/// What a [`RaftMsg`] is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum RaftKind {
    /// Leader to follower: AppendEntries. `a`: the leader's commit index; `b`: the arena id
    /// of the entry before the new one (0: none) and, in its top 24 bits, the heartbeat round;
    /// `c`: the arena id of the new entry (0: a heartbeat).
    Append,
    /// Follower to leader. `a`: the follower's match index on success, its last index on
    /// failure; `b`: 1 on success; `c`: the round echoed.
    AppendReply,
    /// Candidate to member: RequestVote. `a`: the candidate's last log index; `b`: its term.
    Vote,
    /// Member to candidate. `a`: 1 if granted.
    VoteReply,
    /// Like `Vote`, for the pre-vote (the term is the one the candidate would take).
    PreVote,
    /// Like `VoteReply`, for the pre-vote.
    PreVoteReply,
}

impl RaftKind {
    /// The kind's name in traces.
    pub fn name(self) -> &'static str {
        match self {
            RaftKind::Append => "raft_append",
            RaftKind::AppendReply => "raft_append_reply",
            RaftKind::Vote => "raft_vote",
            RaftKind::VoteReply => "raft_vote_reply",
            RaftKind::PreVote => "raft_pre_vote",
            RaftKind::PreVoteReply => "raft_pre_vote_reply",
        }
    }
}

/// A Raft message: the kind and the sender's term in one word, and three words whose meaning
/// the kind gives. Log entries travel by id into the run's log arena, so every message is
/// plain data of 32 bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RaftMsg {
    tagged_term: u64,
    /// First word.
    pub a: u64,
    /// Second word.
    pub b: u64,
    /// Third word.
    pub c: u64,
}

impl RaftMsg {
    /// A message of `kind` in `term` (below 2^56).
    pub fn new(kind: RaftKind, term: u64, a: u64, b: u64, c: u64) -> Self {
        debug_assert!(term < 1 << OP_BITS, "term {term} out of range");
        RaftMsg {
            tagged_term: (kind as u64) << OP_BITS | (term & ((1 << OP_BITS) - 1)),
            a,
            b,
            c,
        }
    }

    /// What it is.
    pub fn kind(&self) -> RaftKind {
        match self.tagged_term >> OP_BITS {
            0 => RaftKind::Append,
            1 => RaftKind::AppendReply,
            2 => RaftKind::Vote,
            3 => RaftKind::VoteReply,
            4 => RaftKind::PreVote,
            _ => RaftKind::PreVoteReply,
        }
    }

    /// The sender's term.
    pub fn term(&self) -> u64 {
        self.tagged_term & ((1 << OP_BITS) - 1)
    }
}

/// What a [`ReplicaMsg`] asks or answers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum ReplicaKind {
    /// Coordinator to replica: store `version` of `key` (carries the value).
    Write,
    /// Replica to coordinator: the write of operation `op` is applied; `version` is what the
    /// replica now holds.
    WriteAck,
    /// Coordinator to replica: which version of `key` do you hold?
    Read,
    /// Replica to coordinator: `version` of `key` (carries the value when it holds one).
    ReadReply,
    /// Coordinator to replica: read repair, store `version` of `key` (one-way, no ack).
    Repair,
    /// Leader to follower: I lead, in term `version` (one-way).
    Heartbeat,
    /// Anti-entropy, initiator to peer: compare your Merkle tree with mine, session `op`
    /// (the tree is on the run's board; `value_bytes`: the root on the wire).
    AntiEntropyTree,
    /// Anti-entropy, peer to initiator: the ranges that differ and my entries in them,
    /// session `op` (`value_bytes`: the tree descent and the entries on the wire).
    AntiEntropyDiff,
}

impl ReplicaKind {
    /// The kind's name in traces.
    pub fn name(self) -> &'static str {
        match self {
            ReplicaKind::Write => "replica_write",
            ReplicaKind::WriteAck => "replica_write_ack",
            ReplicaKind::Read => "replica_read",
            ReplicaKind::ReadReply => "replica_read_reply",
            ReplicaKind::Repair => "replica_repair",
            ReplicaKind::Heartbeat => "replica_heartbeat",
            ReplicaKind::AntiEntropyTree => "replica_anti_entropy_tree",
            ReplicaKind::AntiEntropyDiff => "replica_anti_entropy_diff",
        }
    }
}

/// A replicated store's message between a coordinator and one replica of a key: plain data,
/// stored inline. Its kind shares a word with the operation id (the top byte), which keeps
/// [`Msg`] at 40 bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ReplicaMsg {
    /// The kind (top byte) and the coordinator's operation id (the rest).
    tagged_op: u64,
    /// The coordinating node, where a replica's reply goes (it may come after queueing in
    /// the replica's service model, which keeps only the message).
    pub coordinator: NodeId,
    /// Which key.
    pub key: KeyId,
    /// The version written, held or returned (0: none).
    pub version: u64,
    /// Value bytes, counted on the wire for writes, repairs and replies that hold a value.
    pub value_bytes: u32,
}

/// Bits of [`ReplicaMsg`]'s operation id.
const OP_BITS: u32 = 56;

impl ReplicaMsg {
    /// A message of `kind` for the coordinator's operation `op` (below 2^56: ids count a
    /// coordinator's operations from 1).
    pub fn new(
        kind: ReplicaKind,
        op: u64,
        coordinator: NodeId,
        key: KeyId,
        version: u64,
        value_bytes: u32,
    ) -> Self {
        debug_assert!(op < 1 << OP_BITS, "operation id {op} out of range");
        ReplicaMsg {
            tagged_op: (kind as u64) << OP_BITS | (op & ((1 << OP_BITS) - 1)),
            coordinator,
            key,
            version,
            value_bytes,
        }
    }

    /// What it asks or answers.
    pub fn kind(&self) -> ReplicaKind {
        match self.tagged_op >> OP_BITS {
            0 => ReplicaKind::Write,
            1 => ReplicaKind::WriteAck,
            2 => ReplicaKind::Read,
            3 => ReplicaKind::ReadReply,
            4 => ReplicaKind::Repair,
            5 => ReplicaKind::Heartbeat,
            6 => ReplicaKind::AntiEntropyTree,
            _ => ReplicaKind::AntiEntropyDiff,
        }
    }

    /// The coordinator's operation id; a reply echoes it.
    pub fn op(&self) -> u64 {
        self.tagged_op & ((1 << OP_BITS) - 1)
    }

    /// The answer to this message: the same operation, coordinator, key and value size, with
    /// `kind` and `version`.
    pub fn reply(&self, kind: ReplicaKind, version: u64) -> Self {
        ReplicaMsg::new(
            kind,
            self.op(),
            self.coordinator,
            self.key,
            version,
            self.value_bytes,
        )
    }

    /// Whether it carries the value on the wire.
    fn carries_value(&self) -> bool {
        match self.kind() {
            ReplicaKind::Write
            | ReplicaKind::Repair
            | ReplicaKind::AntiEntropyTree
            | ReplicaKind::AntiEntropyDiff => true,
            ReplicaKind::ReadReply => self.version > 0,
            ReplicaKind::WriteAck | ReplicaKind::Read | ReplicaKind::Heartbeat => false,
        }
    }
}

/// A message of an out-of-tree protocol: which of its messages this is, up to three words of
/// payload, and how many payload bytes it stands for on the wire (on top of the
/// [`HEADER_BYTES`] every message has). Plain data: no box and no downcast, so it is stored
/// inline in events like every other message and the protocol's node decodes it with a
/// `match` on `kind`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CustomMsg {
    /// The protocol's own message kind.
    pub kind: u16,
    /// Its payload.
    pub words: [u64; 3],
    /// Payload bytes on the wire.
    pub payload_bytes: u32,
}

impl Message for Msg {
    fn size_bytes(&self) -> u64 {
        match self {
            Msg::Request(r) if r.op == Op::Write => HEADER_BYTES + u64::from(r.value_bytes),
            Msg::Request(_) => HEADER_BYTES,
            Msg::Response(r) if r.op == Op::Read && r.status == Status::Ok => {
                HEADER_BYTES + u64::from(r.value_bytes)
            }
            Msg::Set { value_bytes, .. } => HEADER_BYTES + u64::from(*value_bytes),
            Msg::Custom(custom) => HEADER_BYTES + u64::from(custom.payload_bytes),
            Msg::Gossip(g) => HEADER_BYTES + g.payload_bytes(),
            Msg::Member(m) => HEADER_BYTES + m.payload_bytes(),
            Msg::Replica(r) if r.carries_value() => HEADER_BYTES + u64::from(r.value_bytes),
            Msg::Replica(_)
            | Msg::Raft(_)
            | Msg::Response(_)
            | Msg::Probe { .. }
            | Msg::ProbeAck { .. }
            | Msg::Invalidate { .. } => HEADER_BYTES,
        }
    }

    /// `type` (`request`, `response`, `probe`, `probe_ack`, `set`, `invalidate`, `custom`,
    /// or a replica message's kind such as `replica_write`) and the message's fields: a
    /// request's id as `request` (its response carries the same), the client by name, the
    /// operation, key, value size, status and send time; a replica message's operation id as
    /// `replica_op`, its key and version.
    fn trace_fields(&self, out: &mut sim_core::trace::TraceFields<'_>) {
        match self {
            Msg::Request(r) => {
                out.str("type", "request");
                out.u64("request", r.id);
                out.node("client", r.client);
                out.str("op", r.op.name());
                out.u64("key", r.key.0);
                out.u64("value_bytes", u64::from(r.value_bytes));
                out.time("sent_at_ns", r.sent_at);
            }
            Msg::Response(r) => {
                out.str("type", "response");
                out.u64("request", r.id);
                out.str("status", r.status.name());
                out.str("op", r.op.name());
                out.u64("key", r.key.0);
                out.u64("value_bytes", u64::from(r.value_bytes));
                out.time("sent_at_ns", r.sent_at);
            }
            Msg::Probe { seq } => {
                out.str("type", "probe");
                out.u64("probe", *seq);
            }
            Msg::ProbeAck { seq } => {
                out.str("type", "probe_ack");
                out.u64("probe", *seq);
            }
            Msg::Set { key, value_bytes } => {
                out.str("type", "set");
                out.u64("key", key.0);
                out.u64("value_bytes", u64::from(*value_bytes));
            }
            Msg::Invalidate { key } => {
                out.str("type", "invalidate");
                out.u64("key", key.0);
            }
            Msg::Replica(r) => {
                out.str("type", r.kind().name());
                out.u64("replica_op", r.op());
                out.node("coordinator", r.coordinator);
                out.u64("key", r.key.0);
                out.u64("version", r.version);
                out.u64("value_bytes", u64::from(r.value_bytes));
            }
            Msg::Raft(r) => {
                out.str("type", r.kind().name());
                out.u64("term", r.term());
                for (name, word) in ["a", "b", "c"].iter().zip([r.a, r.b, r.c]) {
                    out.u64(name, word);
                }
            }
            Msg::Gossip(g) => {
                out.str("type", g.kind.name());
                out.u64("base", u64::from(g.base));
                out.u64("mask", g.mask);
                out.u64("hops", u64::from(g.hops));
            }
            Msg::Member(m) => {
                out.str("type", m.kind.name());
                out.u64("seq", u64::from(m.seq));
                out.u64("about", u64::from(m.about));
                out.u64("updates", u64::from(m.updates));
            }
            Msg::Custom(custom) => {
                out.str("type", "custom");
                out.u64("custom_kind", u64::from(custom.kind));
                for (name, word) in ["w0", "w1", "w2"].iter().zip(custom.words) {
                    out.u64(name, word);
                }
                out.u64("payload_bytes", u64::from(custom.payload_bytes));
            }
        }
    }
}

#[cfg(test)]
mod size {
    /// Every event carries a message inline, so its size is the engine's memory per pending
    /// event: a new variant must not grow it (40 bytes before `Custom` existed).
    #[test]
    fn a_message_stays_forty_bytes() {
        assert_eq!(std::mem::size_of::<super::Msg>(), 40);
    }

    // Goal: a replica message's kind and operation id survive their packing into one word.
    #[test]
    fn replica_kind_and_op_round_trip() {
        use super::{KeyId, NodeId, ReplicaKind, ReplicaMsg};
        let kinds = [
            ReplicaKind::Write,
            ReplicaKind::WriteAck,
            ReplicaKind::Read,
            ReplicaKind::ReadReply,
            ReplicaKind::Repair,
            ReplicaKind::Heartbeat,
        ];
        for kind in kinds {
            for op in [1, 12_345, (1 << 56) - 1] {
                let m = ReplicaMsg::new(kind, op, NodeId(3), KeyId(9), 4, 100);
                assert_eq!((m.kind(), m.op()), (kind, op));
                let r = m.reply(ReplicaKind::ReadReply, 7);
                assert_eq!(
                    (r.kind(), r.op(), r.version, r.coordinator),
                    (ReplicaKind::ReadReply, op, 7, NodeId(3))
                );
            }
        }
    }
}
