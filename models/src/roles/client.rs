//! The `client` role: generates a workload, sends requests to a target group, and records
//! end-to-end latency per operation.
//!
//! Load is open-loop (an arrival process decides when requests start, whatever the system
//! does, so overload builds queues as it would in production) or closed-loop (a fixed number of
//! requests outstanding per client, each followed by a think time). Each request picks a key,
//! an operation and a value size from the workload, and a target node by the routing rule.
//!
//! Or the client replays a trace ([`Load::Trace`], [`Client::replaying`]): the trace's records
//! are the requests (key, value size, operation), sent at the trace's times divided by a speed
//! (open loop) or as fast as answers come (a closed loop without think time); see
//! [`crate::workload::replay`]. At the trace's end the client stops sending; the run goes on.
//! A read error part-way stops it the same way and is reported to the run's
//! [`TraceErrorLog`](crate::workload::replay::TraceErrorLog).
//!
//! Records, in nanoseconds: `latency.<op>` (end-to-end, successful requests) and `latency.all`;
//! beside each, the outcome tally `requests.<op>` / `requests.all` (see
//! [`sim_core::Outcome`]): every request issued ends exactly once, as ok, miss (a look-aside
//! cache's answer without a `store`), timeout, rejected (`busy`), error (`unavailable`) or lost
//! (the client crashed while waiting). With [`ClientScopes`], the same histograms and tallies
//! again per client group (`latency.read{group=eu-users}`, `requests.read{group=eu-users}`) and
//! per client region (`{region=eu}`); those histograms are whole-run only. Counters
//! `client.requests`, `client.responses.<status>`, `client.timeouts` and
//! `client.late_responses` (answers that arrive after their timeout fired). A replaying client
//! also counts `client.trace_requests` (records sent), `client.trace_errors` (replays ended by
//! a read error) and `client.trace_skipped` (records due while the client was down).
//!
//! **Failover** ([`ClientConfig::failover`]): with random or round-robin routing, a target
//! whose request timed out or was answered `unavailable` is skipped for a re-probe interval,
//! after which requests may go to it again (the first that does probes it; if it fails, the
//! target is skipped again). While no target is skipped, routing draws exactly as without
//! failover; when every target is skipped, it routes as if none were (something has to
//! probe). Key-based routing (`key_modulo`, `placement`) never fails over: a key has one
//! owner; client-side balancing has its own failure accounting.
//!
//! **Client-side coordination** ([`Client::coordinating`]): against a replicated store whose
//! quorums the client coordinates, a request goes to its key's replicas instead of to one
//! target, and ends when its R-th or W-th reply comes (see [`crate::roles::store`]); routing
//! and failover do not apply.
//!
//! **Retries** ([`ClientConfig::retry`], [`crate::resilience`]): a request whose attempt
//! failed (timed out, or answered `busy` or `unavailable`, as the policy names) is tried again
//! after the policy's backoff, up to its attempts, each retry spending one from the client's
//! retry budget if it has one (a denied retry ends the request with the attempt's failure).
//! The timeout is per attempt; the request's outcome is its last attempt's, and its latency
//! runs from its first attempt. `client.attempts` counts every attempt sent,
//! `client.retries` the retries among them, `client.retries_denied` those a budget refused,
//! and `client.attempts_per_request` how many each request took. A retry is routed afresh
//! (with failover, away from the target that failed it).
//!
//! **Circuit breaker** ([`ClientConfig::breaker`], [`crate::resilience::Breaker`]): each
//! client keeps one breaker for its target; every attempt asks it first. A refused attempt
//! ends its request at once with the outcome `rejected` (counted `client.breaker.rejected`,
//! never retried); every attempt let through reports its result (a failure, or a success,
//! and how long it took). `client.breaker.opened` counts the openings; the first
//! [`BREAKER_LANES`] clients of a group draw their breaker's state as a timeline lane.
//!
//! **Bulkhead** ([`ClientConfig::max_in_flight`]): a client keeps at most this many attempts
//! in flight to its target; one more is refused at once (outcome `rejected`, counted
//! `client.bulkhead.rejected`, never retried), and a hedge that would exceed it is not sent.
//!
//! **Hedging** ([`ClientConfig::hedge`], [`crate::resilience::HedgePolicy`]): an attempt not
//! answered after the hedge delay (fixed, or the client's running percentile of its answered
//! attempts) gets a copy sent to another target; the first answer that is not a failure ends
//! the request, and the other attempt's answer, when it comes, is late. A request fails only
//! when both of its attempts did. `client.hedges` counts the copies sent, `client.hedges_won`
//! those that answered first. Hedging applies to requests sent to one target (not to
//! client-side quorum coordination or cache-aside).
//!
//! **Limitations:** a hedge's loser is not cancelled (its server does the work); a timed-out
//! attempt is abandoned, and its server keeps working on it. A replaying client that crashes
//! keeps its place in the trace; at its restart a timed replay skips the records that fell due
//! while it was down (the trace's clock kept running), and a fast replay carries on.

use std::collections::BTreeMap;
use std::sync::Arc;

use rand::Rng;
use sim_core::{
    CounterId, Ctx, Distribution, HistogramId, Node, NodeId, Outcome, OutcomeId, SimDuration,
    SimTime, TimerId, TimerTag, Unit,
};

use crate::balancing::{Backends, Balancer, BalancerSpec, EwmaDecay};
use crate::fixed_hash::FixedHashMap;
use crate::msg::{Msg, ReplicaMsg, Request, Response, Status};
use crate::placement::SharedPlacement;
use crate::replication::history::SharedHistory;
use crate::resilience::{
    Breaker, BreakerSpec, BreakerState, HedgeAfter, HedgePolicy, LatencyTracker, RetryBudget,
    RetryPolicy,
};
use crate::roles::store::QuorumFrontEnd;
use crate::workload::replay::{FeedItem, TraceFeed, TracePace};
use crate::workload::trace::TraceRecord;
use crate::workload::{
    sample_size, ArrivalClock, Arrivals, ClosedLoop, KeyId, KeyPopularity, Op, OpMix,
};

/// What clients record, with each metric's unit and good direction: latency of successful
/// requests per operation, and a count for every way a request ends.
pub const METRICS: sim_core::MetricTable = sim_core::MetricTable {
    recorded: &[
        sim_core::MetricDecl::histogram(
            "latency.*.with_failures",
            sim_core::Unit::Nanoseconds,
            sim_core::metrics::Direction::HigherIsWorse,
            sim_core::metrics::Direction::Neutral,
            "response time of every request that ended, a timed-out one at its timeout ([report] failures_in_latency)",
        ),
        sim_core::MetricDecl::histogram(
            "latency.*",
            sim_core::Unit::Nanoseconds,
            sim_core::metrics::Direction::HigherIsWorse,
            sim_core::metrics::Direction::LowerIsWorse,
            "response time of successful requests, per operation (`all`, `read`, ...) and per client group or region (`{group=...}`, `{region=...}`); its count is the successful requests",
        ),
        sim_core::MetricDecl::counter(
            "client.requests",
            sim_core::metrics::Direction::Neutral,
            "requests sent (the workload's input)",
        ),
        sim_core::MetricDecl::counter(
            "client.responses.ok",
            sim_core::metrics::Direction::LowerIsWorse,
            "answers with status ok",
        ),
        sim_core::MetricDecl::counter(
            "client.responses.*",
            sim_core::metrics::Direction::HigherIsWorse,
            "answers with another status (busy, unavailable, miss, rate_limited)",
        ),
        sim_core::MetricDecl::counter(
            "client.timeouts",
            sim_core::metrics::Direction::HigherIsWorse,
            "attempts abandoned at their timeout (requests, without retries)",
        ),
        sim_core::MetricDecl::counter(
            "client.attempts",
            sim_core::metrics::Direction::HigherIsWorse,
            "attempts sent, first tries and retries: the load the clients offer downstream (with a retry policy; without one it is client.requests)",
        ),
        sim_core::MetricDecl::counter(
            "client.retries",
            sim_core::metrics::Direction::HigherIsWorse,
            "attempts after a failed one (with a retry policy)",
        ),
        sim_core::MetricDecl::counter(
            "client.hedges",
            sim_core::metrics::Direction::Neutral,
            "copies of slow requests sent to another target (with hedging)",
        ),
        sim_core::MetricDecl::counter(
            "client.hedges_won",
            sim_core::metrics::Direction::Neutral,
            "hedges whose answer came first",
        ),
        sim_core::MetricDecl::counter(
            "client.retries_denied",
            sim_core::metrics::Direction::Neutral,
            "retries the policy allowed and the client's retry budget refused",
        ),
        sim_core::MetricDecl::histogram(
            "client.attempts_per_request",
            sim_core::Unit::Count,
            sim_core::metrics::Direction::HigherIsWorse,
            sim_core::metrics::Direction::Neutral,
            "attempts each request took before it ended (with a retry policy)",
        ),
        sim_core::MetricDecl::counter(
            "client.failovers",
            sim_core::metrics::Direction::Neutral,
            "times a client marked a target failed and routed around it (failover)",
        ),
        sim_core::MetricDecl::counter(
            "client.late_responses",
            sim_core::metrics::Direction::HigherIsWorse,
            "answers that arrived after their request timed out",
        ),
        sim_core::MetricDecl::counter(
            "client.trace_requests",
            sim_core::metrics::Direction::Neutral,
            "trace records a replaying client sent",
        ),
        sim_core::MetricDecl::counter(
            "client.trace_errors",
            sim_core::metrics::Direction::HigherIsWorse,
            "trace replays ended by a read error",
        ),
        sim_core::MetricDecl::counter(
            "client.trace_skipped",
            sim_core::metrics::Direction::HigherIsWorse,
            "trace records due while the client was down",
        ),
    ],
    derived: &[
        sim_core::metrics::DerivedMetric {
            name: "client.error_ratio",
            formula: sim_core::metrics::Formula::Ratio {
                numerator: &[
                    "client.timeouts",
                    "client.responses.busy",
                    "client.responses.unavailable",
                    "client.responses.rate_limited",
                ],
                // Attempts: requests plus retries and hedges (no such counters without them).
                denominator: &["client.requests", "client.retries", "client.hedges"],
            },
            unit: sim_core::Unit::Ratio,
            direction: sim_core::metrics::Direction::HigherIsWorse,
            description: "(client.timeouts + client.responses.busy + client.responses.unavailable + client.responses.rate_limited) / (client.requests + client.retries + client.hedges): the share of attempts that failed",
        },
        sim_core::metrics::DerivedMetric {
            name: "client.retry_amplification",
            formula: sim_core::metrics::Formula::Ratio {
                numerator: &["client.requests", "client.retries", "client.hedges"],
                denominator: &["client.requests"],
            },
            unit: sim_core::Unit::Ratio,
            direction: sim_core::metrics::Direction::HigherIsWorse,
            description: "(client.requests + client.retries + client.hedges) / client.requests: attempts sent downstream per request (1 without retries or hedges)",
        },
    ],
    curves: &[],
};

/// The operations in the order of the per-operation metric arrays.
const OPS: [Op; 3] = [Op::Read, Op::Write, Op::Delete];

/// `op`'s index in [`OPS`].
fn op_index(op: Op) -> usize {
    match op {
        Op::Read => 0,
        Op::Write => 1,
        Op::Delete => 2,
    }
}

/// How a client picks the node of its target group for each request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Routing {
    /// A uniformly random node per request.
    Random,
    /// Each client cycles through the nodes, starting at its own offset.
    RoundRobin,
    /// `key mod n`: the same key always goes to the same node (simple sharding).
    KeyModulo,
    /// The key's owner under the target group's placement scheme (sharding).
    Placement,
    /// A load-balancing policy run by the client itself over its targets (client-side
    /// balancing): each client tracks its own in-flight requests and response times.
    Balanced,
}

/// A client-side balancing policy and the parameters of what it tracks.
#[derive(Clone, Debug)]
pub struct ClientBalancing {
    /// The policy.
    pub policy: BalancerSpec,
    /// Memory of the response-time average.
    pub decay: EwmaDecay,
    /// How often the load snapshot stale policies read is refreshed.
    pub load_report: SimDuration,
}

/// Names and descriptions of the routing rules, for `distsim list` and "did you mean".
pub const ROUTINGS: &[(&str, &str)] = &[
    ("random", "a uniformly random target node per request"),
    ("round_robin", "cycle through the target nodes"),
    (
        "key_modulo",
        "key mod n: a key always goes to the same node",
    ),
    (
        "placement",
        "the key's owner under the target group's placement (default when it has one)",
    ),
];

/// When requests are issued.
#[derive(Clone, Debug)]
pub enum Load {
    /// Open loop: an arrival process per client.
    Open(Arrivals),
    /// Closed loop: a fixed number outstanding, with think time.
    Closed(ClosedLoop),
    /// A trace replay: each client's records come from its own [`TraceFeed`]
    /// ([`Client::replaying`]); `keys`, `mix` and `value_size` are not used.
    Trace(TracePace),
}

/// Everything a client group shares.
#[derive(Clone, Debug)]
pub struct ClientConfig {
    /// The target group's nodes.
    pub targets: Vec<NodeId>,
    /// How to pick one.
    pub routing: Routing,
    /// When requests are issued.
    pub load: Load,
    /// Which keys.
    pub keys: KeyPopularity,
    /// Which operations.
    pub mix: OpMix,
    /// Value sizes in bytes.
    pub value_size: Distribution,
    /// Abandon a request after this long.
    pub timeout: Option<SimDuration>,
    /// The policy, for [`Routing::Balanced`].
    pub balancing: Option<ClientBalancing>,
    /// The breakdowns the group's metrics are recorded under, beside the whole population.
    pub scopes: ClientScopes,
    /// With [`Routing::Random`] or [`Routing::RoundRobin`]: after a request to a target fails
    /// (timed out, or answered `unavailable`), skip that target for this long, then let one
    /// request probe it again. `None`: never skip a target.
    pub failover: Option<SimDuration>,
    /// Cache-aside: the store group behind the look-aside cache group the client targets.
    /// Reads go to the cache; a [`Status::Miss`] is read from the key's store node
    /// (`key mod n`) and then filled into the cache ([`Msg::Set`]); writes and deletes go to
    /// the store and then invalidate the cache ([`Msg::Invalidate`]). Empty: no store.
    pub store: Vec<NodeId>,
    /// Retry failed attempts by this policy (`None`: every request is tried once).
    pub retry: Option<RetryPolicy>,
    /// Each client's retry budget, full at its start (`None`: retries are limited only by
    /// the policy's attempts).
    pub retry_budget: Option<RetryBudget>,
    /// Each client's circuit breaker for its target (`None`: none).
    pub breaker: Option<BreakerSpec>,
    /// Hedge slow requests by this policy (`None`: never).
    pub hedge: Option<HedgePolicy>,
    /// A bulkhead: at most this many attempts in flight per client (`None`: no limit).
    pub max_in_flight: Option<u32>,
}

/// Clients of a group (by index) whose breaker state is drawn as a timeline lane.
pub const BREAKER_LANES: u32 = 4;

/// The breakdowns a client group's latency and outcomes are recorded under, besides the
/// whole population (`latency.read`): its group, and each client's region.
#[derive(Clone, Debug, Default)]
pub struct ClientScopes {
    /// The group's name, when metrics are broken down by group (`{group=<name>}`).
    pub group: Option<String>,
    /// Each client's region by index in the group, when metrics are broken down by region
    /// (`{region=<name>}`); empty when they are not.
    pub regions: Vec<String>,
}

impl ClientScopes {
    /// The metric-name suffixes of the client at `index`: `""` (the whole population) first,
    /// then `{group=...}` and `{region=...}` where they apply.
    pub fn suffixes(&self, index: u32) -> Vec<String> {
        let mut suffixes = vec![String::new()];
        if let Some(group) = &self.group {
            suffixes.push(format!("{{group={group}}}"));
        }
        if let Some(region) = self.regions.get(index as usize) {
            suffixes.push(format!("{{region={region}}}"));
        }
        suffixes
    }
}

/// One scope's latency histograms and outcome tallies, per operation and for all.
#[derive(Clone, Copy, Debug)]
struct Scoped {
    latency: [HistogramId; 3],
    latency_all: HistogramId,
    requests: [OutcomeId; 3],
    requests_all: OutcomeId,
}

/// Metric ids, registered when the client starts.
#[derive(Clone, Debug)]
struct Metrics {
    /// The whole population first, then the client's group and region breakdowns.
    scoped: Vec<Scoped>,
    requests: CounterId,
    ok: CounterId,
    busy: CounterId,
    /// Registered at the first `rate_limited` answer.
    rate_limited: Option<CounterId>,
    unavailable: CounterId,
    miss: CounterId,
    timeouts: CounterId,
    late: CounterId,
    failovers: CounterId,
    /// With a retry policy.
    retry: Option<RetryMetrics>,
    /// With a breaker: calls it refused, and its openings.
    breaker: Option<(CounterId, CounterId)>,
    /// With hedging: hedges sent, and hedges that answered first.
    hedges: Option<(CounterId, CounterId)>,
    /// With a bulkhead: attempts it refused.
    bulkhead: Option<CounterId>,
    /// A replaying client's counters.
    trace: Option<TraceMetrics>,
    /// `latency.<op>.with_failures` and `latency.all.with_failures`, when recorded.
    with_failures: Option<([HistogramId; 3], HistogramId)>,
}

/// A retrying client's metrics.
#[derive(Clone, Copy, Debug)]
struct RetryMetrics {
    attempts: CounterId,
    retries: CounterId,
    denied: CounterId,
    per_request: HistogramId,
}

/// A replaying client's counters.
#[derive(Clone, Copy, Debug)]
struct TraceMetrics {
    requests: CounterId,
    errors: CounterId,
    skipped: CounterId,
}

/// A replaying client's place in its trace.
#[derive(Debug)]
struct Replay {
    feed: TraceFeed,
    pace: TracePace,
    /// Timed replays: when trace time 0 is (the client's first start).
    start: Option<SimTime>,
    /// Timed replays: the next record and when it is due, waiting for its timer.
    pending: Option<(SimTime, TraceRecord)>,
}

/// What a client remembers about an outstanding request.
#[derive(Clone, Copy, Debug)]
struct Outstanding {
    /// Its operation, for the outcome tallies.
    op: Op,
    timeout: Option<TimerId>,
    /// The target's index in the client's `Backends`, with client-side balancing.
    backend: Option<usize>,
    /// The target's index in `targets`, with failover.
    target: Option<u32>,
    /// Cache-aside: the cache node to fill or invalidate once the store answers.
    cache: Option<NodeId>,
    /// Client-side quorum coordination: the operation's id at this client's coordinator.
    quorum_op: Option<u64>,
    /// Its key and when its first attempt was sent (its latency starts there; a store's
    /// unavailability windows too).
    key: KeyId,
    sent_at: SimTime,
    /// Which attempt this is, from 1, its value's size (for a retry), and the backoff before
    /// it (the policy's base before the first retry).
    attempt: u32,
    value_bytes: u32,
    backoff: SimDuration,
    /// The node it was sent to, and the request's other attempt in flight (a hedge's
    /// primary, or a primary's hedge), by id; `hedge` marks the copy.
    to: NodeId,
    partner: Option<std::num::NonZeroU64>,
    hedge: bool,
}

/// A client of a leader-follower or Raft store: it tells the run's history which of its
/// requests failed (timed out, or answered `unavailable`) and which succeeded, and records
/// the keys' unavailability windows (`store.unavailable_window.*`), as a quorum coordinator
/// does for its own operations.
#[derive(Debug)]
struct StoreWindows {
    history: SharedHistory,
    /// Per read and write, once registered.
    windows: Option<[HistogramId; 2]>,
}

/// Timer tags: the next open-loop arrival, a closed-loop slot's think time, or a timeout.
const TAG_ARRIVAL: u64 = 0;
const TAG_THINK: u64 = 1;
/// A timed replay's next record is due.
const TAG_TRACE: u64 = 2;
/// A breaker refused a request: the next of a closed loop or a replay may go.
const TAG_REFUSED: u64 = 3;
/// An attempt's hedge delay has passed: `TAG_HEDGE_BASE + the attempt's id`.
const TAG_HEDGE_BASE: u64 = 1 << 60;
/// Timeout tags are `TAG_TIMEOUT_BASE + request id`.
const TAG_TIMEOUT_BASE: u64 = 1 << 62;
/// A retry's backoff has passed: `TAG_RETRY_BASE + the retry's request id`.
const TAG_RETRY_BASE: u64 = 1 << 61;

/// A client node.
#[derive(Debug)]
pub struct Client {
    config: Arc<ClientConfig>,
    clock: Option<ArrivalClock>,
    keys: KeyPopularity,
    /// The client's index in its group (its region, for the metrics' breakdown).
    index: u32,
    next_id: u64,
    next_target: usize,
    /// Outstanding requests by id (looked up, and iterated only to count them lost in a
    /// crash, where order does not matter).
    /// Looked up per response; iterated only to count each lost at a crash.
    outstanding: FixedHashMap<u64, Outstanding>,
    /// Requests waiting out a retry's backoff, by the id their next attempt will have.
    retrying: FixedHashMap<u64, Outstanding>,
    /// Retries this client may still spend ([`ClientConfig::retry_budget`]).
    budget: Option<RetryBudget>,
    /// Its circuit breaker and the state last annotated ([`ClientConfig::breaker`]).
    breaker: Option<(Breaker, BreakerState)>,
    /// Hedging: requests with two attempts in flight (each counted once in the books), and
    /// the running latency the percentile delay reads.
    hedged_pairs: u64,
    tracker: Option<LatencyTracker>,
    /// Hedges this client may still send ([`HedgePolicy::budget`]).
    hedge_budget: Option<RetryBudget>,
    /// Requests this client issued and that ended, for the paranoid check that every issued
    /// request ends exactly once: `issued == ended + outstanding + retrying`.
    issued: u64,
    ended: u64,
    /// Also record latency including failures ([`Client::with_failure_latency`]).
    failure_latency: bool,
    /// Client-side balancing: what this client knows of its targets, and its policy.
    balancer: Option<(Backends, Box<dyn Balancer>)>,
    /// Failover: the targets (by index) skipped after a failure, with until when. Sparse, and
    /// pruned of expired entries as requests are routed: a client keeps only the targets
    /// that failed it lately, never a table of all targets (with a million targets and as
    /// many clients, such tables took terabytes).
    skipped: BTreeMap<u32, SimTime>,
    /// The target group's placement, for [`Routing::Placement`]: this run's, shared with the
    /// group's other clients and changed by the run's membership timeline.
    placement: Option<SharedPlacement>,
    /// The trace being replayed, with [`Load::Trace`].
    replay: Option<Replay>,
    /// Client-side coordination of a replicated store's quorums ([`Client::coordinating`]).
    quorum: Option<QuorumFrontEnd<u64>>,
    /// A leader-follower or Raft store's unavailability windows ([`Client::watching_store`]).
    store_windows: Option<StoreWindows>,
    metrics: Option<Metrics>,
}

impl Client {
    /// A client of group `config`, the `index`-th of its group (offsets round-robin routing),
    /// routing by `placement` (this run's placement of the target group) when its routing is
    /// [`Routing::Placement`].
    ///
    /// Panics if placement routing has no placement (scenarios pair them when validating), or
    /// if the load is a trace replay, which needs [`Client::replaying`].
    pub fn new(config: Arc<ClientConfig>, index: u32, placement: Option<SharedPlacement>) -> Self {
        assert!(
            !matches!(config.load, Load::Trace(_)),
            "a trace replay needs its feed: use Client::replaying"
        );
        Self::build(config, index, placement, None)
    }

    /// Like [`Client::new`], for a client replaying `feed` (its share of the trace) with
    /// [`Load::Trace`]. Panics if the load is not a trace replay.
    pub fn replaying(
        config: Arc<ClientConfig>,
        index: u32,
        placement: Option<SharedPlacement>,
        feed: TraceFeed,
    ) -> Self {
        let Load::Trace(pace) = config.load else {
            panic!("a trace feed needs a trace load");
        };
        let replay = Replay {
            feed,
            pace,
            start: None,
            pending: None,
        };
        Self::build(config, index, placement, Some(replay))
    }

    fn build(
        config: Arc<ClientConfig>,
        index: u32,
        placement: Option<SharedPlacement>,
        replay: Option<Replay>,
    ) -> Self {
        assert!(
            config.routing != Routing::Placement || placement.is_some(),
            "placement routing needs the target group's placement"
        );
        let clock = match &config.load {
            Load::Open(arrivals) => Some(ArrivalClock::new(arrivals.clone())),
            Load::Closed(_) | Load::Trace(_) => None,
        };
        let n_targets = config.targets.len().max(1);
        Client {
            keys: config.keys.clone(),
            clock,
            index,
            next_id: 0,
            next_target: index as usize % n_targets,
            outstanding: FixedHashMap::default(),
            retrying: FixedHashMap::default(),
            budget: config.retry_budget,
            breaker: Self::fresh_breaker(&config),
            hedged_pairs: 0,
            tracker: Self::fresh_tracker(&config),
            hedge_budget: config.hedge.and_then(|h| h.budget),
            issued: 0,
            ended: 0,
            failure_latency: false,
            balancer: Self::fresh_balancer(&config),
            skipped: BTreeMap::new(),
            placement,
            replay,
            quorum: None,
            store_windows: None,
            metrics: None,
            config,
        }
    }

    /// Coordinates its requests itself: each goes to its key's replicas through `front`
    /// (client-side coordination of a quorum store) instead of to one target, and ends when
    /// its quorum answers (or at the client's timeout).
    pub fn coordinating(mut self, front: QuorumFrontEnd<u64>) -> Self {
        self.quorum = Some(front);
        self
    }

    /// Reports to `history` (the run's) which of its requests to a leader-follower or Raft
    /// store failed and succeeded, and records the keys' unavailability windows: from the
    /// call of the first request of a key that failed to the call of the next that succeeded,
    /// by any client.
    pub fn watching_store(mut self, history: SharedHistory) -> Self {
        self.store_windows = Some(StoreWindows {
            history,
            windows: None,
        });
        self
    }

    /// A request of `op` on `key` sent at `sent_at` ended, successfully or not: to the
    /// history, and a window it closes recorded.
    fn store_outcome(
        &mut self,
        ctx: &mut Ctx<'_, Msg>,
        op: Op,
        key: KeyId,
        sent_at: SimTime,
        ok: bool,
    ) {
        let Some(watch) = self.store_windows.as_ref() else {
            return;
        };
        let write = op != Op::Read;
        let called = sent_at.as_nanos();
        if !ok {
            watch.history.operation_failed(key.0, write, called);
        } else if let Some(window) = watch.history.operation_succeeded(key.0, write, called) {
            let ids = watch.windows.expect("registered on start");
            ctx.record(ids[usize::from(write)], window);
        }
    }

    /// Also records `latency.<op>.with_failures` and `latency.all.with_failures`: every
    /// request that ended except those lost in a crash, a timed-out one at its timeout and a
    /// rejected or failed one when its answer came — latency as a user waiting on the
    /// request saw it (`[report] failures_in_latency`).
    pub fn with_failure_latency(mut self, on: bool) -> Self {
        self.failure_latency = on;
        self
    }

    /// Whether this client fails over: random or round-robin routing over some targets,
    /// with `failover` set.
    fn fails_over(&self) -> bool {
        let config = &self.config;
        matches!(config.routing, Routing::Random | Routing::RoundRobin)
            && config.failover.is_some()
            && !config.targets.is_empty()
    }

    /// Failover: forgets the skips that have expired by `now`, then returns how many targets
    /// are trusted (not being skipped), or `None` when none is skipped (routing then draws
    /// exactly as without failover) or every one is (then it routes as if none were:
    /// something has to probe).
    fn trusted_count(&mut self, now: SimTime) -> Option<usize> {
        self.skipped.retain(|_, until| *until > now);
        let trusted = self.config.targets.len() - self.skipped.len();
        (trusted > 0 && !self.skipped.is_empty()).then_some(trusted)
    }

    /// Failover: the request to target `index` failed; skip it for the re-probe interval.
    fn distrust(&mut self, ctx: &mut Ctx<'_, Msg>, index: Option<u32>) {
        let (Some(index), Some(reprobe)) = (index, self.config.failover) else {
            return;
        };
        let failovers = self.metrics().failovers;
        if index as usize >= self.config.targets.len() {
            return;
        }
        let now = ctx.now();
        let until = self.skipped.entry(index).or_insert(SimTime::ZERO);
        if *until <= now {
            ctx.count(failovers, 1);
        }
        *until = now.saturating_add(reprobe);
    }

    /// Every target idle and healthy, for client-side balancing (`None` without it).
    fn fresh_balancer(config: &ClientConfig) -> Option<(Backends, Box<dyn Balancer>)> {
        let balancing = config.balancing.as_ref()?;
        let members: Vec<(NodeId, u32)> = config.targets.iter().map(|n| (*n, 1)).collect();
        let backends = Backends::new(&members, balancing.decay, balancing.load_report)
            .expect("validated: targets are distinct and non-empty, load_report > 0");
        Some((backends, balancing.policy.build()))
    }

    /// One scope's histograms and tallies; breakdowns (a non-empty `suffix`) keep whole-run
    /// histograms only.
    fn register_scope(ctx: &mut Ctx<'_, Msg>, suffix: &str) -> Scoped {
        let windowed = suffix.is_empty();
        let mut histogram = |name: String| {
            if windowed {
                ctx.histogram(&name, Unit::Nanoseconds)
            } else {
                ctx.histogram_whole_run(&name, Unit::Nanoseconds)
            }
        };
        let latency = OPS.map(|op| histogram(format!("latency.{}{suffix}", op.name())));
        let latency_all = histogram(format!("latency.all{suffix}"));
        let mut tally = |op: &str, latency: HistogramId| {
            ctx.outcome_tally(&format!("requests.{op}{suffix}"), Some(latency), true)
        };
        let requests = [0, 1, 2].map(|i| tally(OPS[i].name(), latency[i]));
        let requests_all = tally("all", latency_all);
        Scoped {
            latency,
            latency_all,
            requests,
            requests_all,
        }
    }

    /// The metric ids of a client of `config` (its resilience policies' only when it has
    /// them, so other scenarios' results do not change).
    fn register(
        ctx: &mut Ctx<'_, Msg>,
        config: &ClientConfig,
        replaying: bool,
        suffixes: &[String],
        with_failures: bool,
    ) -> Metrics {
        let retrying = config.retry.is_some();
        let breaker = config.breaker.is_some();
        let hedging = config.hedge.is_some();
        let bulkhead = config.max_in_flight.is_some();
        let with_failures = with_failures.then(|| {
            let mut histogram =
                |op: &str| ctx.histogram(&format!("latency.{op}.with_failures"), Unit::Nanoseconds);
            (OPS.map(|op| histogram(op.name())), histogram("all"))
        });
        Metrics {
            with_failures,
            scoped: suffixes
                .iter()
                .map(|suffix| Self::register_scope(ctx, suffix))
                .collect(),
            requests: ctx.counter("client.requests"),
            ok: ctx.counter("client.responses.ok"),
            busy: ctx.counter("client.responses.busy"),
            rate_limited: None,
            unavailable: ctx.counter("client.responses.unavailable"),
            miss: ctx.counter("client.responses.miss"),
            timeouts: ctx.counter("client.timeouts"),
            late: ctx.counter("client.late_responses"),
            failovers: ctx.counter("client.failovers"),
            // Only retrying clients have these, so other scenarios' results do not change.
            retry: retrying.then(|| RetryMetrics {
                attempts: ctx.counter("client.attempts"),
                retries: ctx.counter("client.retries"),
                denied: ctx.counter("client.retries_denied"),
                per_request: ctx.histogram("client.attempts_per_request", Unit::Count),
            }),
            bulkhead: bulkhead.then(|| ctx.counter("client.bulkhead.rejected")),
            hedges: hedging.then(|| {
                (
                    ctx.counter("client.hedges"),
                    ctx.counter("client.hedges_won"),
                )
            }),
            breaker: breaker.then(|| {
                (
                    ctx.counter("client.breaker.rejected"),
                    ctx.counter("client.breaker.opened"),
                )
            }),
            // Only replaying clients have these, so other scenarios' results do not change.
            trace: replaying.then(|| TraceMetrics {
                requests: ctx.counter("client.trace_requests"),
                errors: ctx.counter("client.trace_errors"),
                skipped: ctx.counter("client.trace_skipped"),
            }),
        }
    }

    fn metrics(&self) -> &Metrics {
        self.metrics
            .as_ref()
            .expect("metrics registered in on_start")
    }

    /// Issues a request of `op` in every scope.
    fn tally_issue(&mut self, ctx: &mut Ctx<'_, Msg>, op: Op) {
        self.issued += 1;
        for scoped in &self.metrics().scoped {
            ctx.issue(scoped.requests[op_index(op)]);
            ctx.issue(scoped.requests_all);
        }
    }

    /// Ends a request of `op` with `outcome` in every scope; an ok one's `latency` is
    /// recorded too.
    fn tally_end(&mut self, ctx: &mut Ctx<'_, Msg>, ended: &Outstanding, outcome: Outcome) {
        self.ended += 1;
        let op = ended.op;
        // From its first attempt: a request's latency includes its retries.
        let latency = ctx.now().saturating_since(ended.sent_at).as_nanos();
        if let Some(retry) = self.metrics().retry {
            ctx.record(retry.per_request, u64::from(ended.attempt));
        }
        if let Some((per_op, all)) = self.metrics().with_failures {
            if outcome != Outcome::Lost {
                ctx.record(per_op[op_index(op)], latency);
                ctx.record(all, latency);
            }
        }
        for scoped in &self.metrics().scoped {
            if outcome == Outcome::Ok {
                ctx.record(scoped.latency[op_index(op)], latency);
                ctx.record(scoped.latency_all, latency);
            }
            ctx.conclude(scoped.requests[op_index(op)], outcome);
            ctx.conclude(scoped.requests_all, outcome);
        }
    }

    fn schedule_arrival(&mut self, ctx: &mut Ctx<'_, Msg>) {
        let now = ctx.now();
        let Some(clock) = self.clock.as_mut() else {
            return;
        };
        if let Some(at) = clock.next_after(now, ctx.rng()) {
            ctx.set_timer(at.saturating_since(now), TimerTag(TAG_ARRIVAL));
        }
    }

    fn think_then_send(&mut self, ctx: &mut Ctx<'_, Msg>) {
        match &self.config.load {
            Load::Closed(closed) => {
                let think = closed.think_time.sample_duration(ctx.rng());
                ctx.set_timer(think, TimerTag(TAG_THINK));
            }
            Load::Trace(TracePace::AsFastAsPossible(_)) => self.send_next_record(ctx),
            Load::Open(_) | Load::Trace(TracePace::Timestamps(_)) => {}
        }
    }

    /// The next record of the client's share of the trace; `None` once the trace has ended
    /// or failed (a failure is counted here, and logged by the feed).
    fn next_record(&mut self, ctx: &mut Ctx<'_, Msg>) -> Option<(u64, TraceRecord)> {
        let replay = self.replay.as_mut().expect("a trace load has a replay");
        match replay.feed.next(ctx.id(), ctx.now()) {
            FeedItem::Record(next) => Some((next.offset_ns, next.record)),
            FeedItem::Failed => {
                let trace = self
                    .metrics()
                    .trace
                    .expect("a replaying client has trace metrics");
                ctx.count(trace.errors, 1);
                None
            }
            FeedItem::Ended => None,
        }
    }

    /// A fast replay: sends the next record now, if there is one.
    fn send_next_record(&mut self, ctx: &mut Ctx<'_, Msg>) {
        if let Some((_, record)) = self.next_record(ctx) {
            self.send_record(ctx, record);
        }
    }

    fn send_record(&mut self, ctx: &mut Ctx<'_, Msg>, record: TraceRecord) {
        let trace = self
            .metrics()
            .trace
            .expect("a replaying client has trace metrics");
        ctx.count(trace.requests, 1);
        self.send(ctx, record.key, record.op, record.size_bytes);
    }

    /// A timed replay: makes sure the next record is pending and its timer set. Records due
    /// before `skip_before` (the restart time, after a crash) are skipped and counted.
    fn schedule_record(&mut self, ctx: &mut Ctx<'_, Msg>, skip_before: Option<SimTime>) {
        let Some(replay) = self.replay.as_ref() else {
            return;
        };
        let TracePace::Timestamps(speed) = replay.pace else {
            return;
        };
        let start = replay.start.expect("a timed replay has started");
        loop {
            let pending = match self.replay.as_ref().and_then(|r| r.pending) {
                Some(pending) => pending,
                None => {
                    let Some((offset_ns, record)) = self.next_record(ctx) else {
                        return;
                    };
                    // Past the end of simulated time: it could never be sent.
                    let Some(due) = speed.scale(offset_ns).and_then(|d| start.checked_add(d))
                    else {
                        return;
                    };
                    (due, record)
                }
            };
            let replay = self.replay.as_mut().expect("checked above");
            if skip_before.is_some_and(|restart| pending.0 < restart) {
                replay.pending = None;
                let trace = self
                    .metrics()
                    .trace
                    .expect("a replaying client has trace metrics");
                ctx.count(trace.skipped, 1);
                continue;
            }
            replay.pending = Some(pending);
            // A record earlier than its predecessor is sent at once.
            ctx.set_timer(pending.0.saturating_since(ctx.now()), TimerTag(TAG_TRACE));
            return;
        }
    }

    /// A timed replay's pending record is due: send it and schedule the next.
    fn on_record_due(&mut self, ctx: &mut Ctx<'_, Msg>) {
        let replay = self
            .replay
            .as_mut()
            .expect("only a timed replay sets record timers");
        let (due, record) = replay
            .pending
            .take()
            .expect("a record timer has a pending record");
        assert!(due <= ctx.now(), "a record is sent no earlier than due");
        self.send_record(ctx, record);
        self.schedule_record(ctx, None);
    }

    /// Starts (or, after a restart, resumes) the replay.
    fn start_replay(&mut self, ctx: &mut Ctx<'_, Msg>) {
        let now = ctx.now();
        let replay = self.replay.as_mut().expect("a trace load has a replay");
        match replay.pace {
            TracePace::Timestamps(_) => {
                let restart = replay.start.is_some().then_some(now);
                replay.start.get_or_insert(now);
                self.schedule_record(ctx, restart);
            }
            TracePace::AsFastAsPossible(concurrency) => {
                for _ in 0..concurrency.get() {
                    self.send_next_record(ctx);
                }
            }
        }
    }

    /// The target for a request with `key`, its backend index under client-side balancing,
    /// and its index in `targets` with failover.
    fn pick_target(
        &mut self,
        ctx: &mut Ctx<'_, Msg>,
        key: u64,
    ) -> (NodeId, Option<usize>, Option<u32>) {
        if self.fails_over() {
            let (index, target) = self.pick_trusted(ctx);
            return (target, None, Some(index));
        }
        let (target, backend) = self.pick_routed(ctx, key);
        (target, backend, None)
    }

    /// Failover routing (random or round robin) over the targets not being skipped.
    fn pick_trusted(&mut self, ctx: &mut Ctx<'_, Msg>) -> (u32, NodeId) {
        let now = ctx.now();
        let trusted = self.trusted_count(now);
        let targets = &self.config.targets;
        let n = targets.len();
        // After `trusted_count`, every skip left is live.
        let is_trusted = |i: usize| trusted.is_none() || !self.skipped.contains_key(&(i as u32));
        let index = match (self.config.routing, trusted) {
            (Routing::Random, None) => ctx.rng().random_range(0..n),
            (Routing::Random, Some(count)) => {
                // The k-th trusted target, k uniform: the same draw as indexing a list of them.
                // Walk the skipped indices in order, stepping over each one at or below it.
                let mut index = ctx.rng().random_range(0..count);
                for skipped in self.skipped.keys() {
                    if *skipped as usize <= index {
                        index += 1;
                    } else {
                        break;
                    }
                }
                index
            }
            _ => {
                // Round robin: the next target in turn that is trusted.
                let mut index = self.next_target;
                while !is_trusted(index) {
                    index = (index + 1) % n;
                }
                self.next_target = (index + 1) % n;
                index
            }
        };
        (index as u32, targets[index])
    }

    /// The target by the routing rule, and its backend index under client-side balancing.
    fn pick_routed(&mut self, ctx: &mut Ctx<'_, Msg>, key: u64) -> (NodeId, Option<usize>) {
        if let Some((backends, policy)) = self.balancer.as_mut() {
            let now = ctx.now();
            backends.maybe_refresh(now);
            // Every target is always healthy here (no health checks), so a pick exists.
            let idx = policy
                .pick(backends, Some(KeyId(key)), ctx.rng())
                .expect("client-side balancing has healthy targets");
            backends.on_send(idx, now);
            return (backends.node(idx), Some(idx));
        }
        let targets = &self.config.targets;
        let target = match self.config.routing {
            Routing::Random => targets[ctx.rng().random_range(0..targets.len())],
            Routing::RoundRobin => {
                let target = targets[self.next_target];
                self.next_target = (self.next_target + 1) % targets.len();
                target
            }
            Routing::KeyModulo => targets[(key % targets.len() as u64) as usize],
            Routing::Placement => {
                let router = self
                    .placement
                    .as_ref()
                    .expect("checked in Client::new: placement routing has a placement");
                // A scenario's membership timeline never empties a placement.
                router
                    .route(KeyId(key))
                    .expect("the target group's placement has members")
            }
            Routing::Balanced => unreachable!("balanced routing has a balancer"),
        };
        (target, None)
    }

    /// Sends a request sampled from the workload.
    fn send_request(&mut self, ctx: &mut Ctx<'_, Msg>) {
        let key = self.keys.sample(ctx.rng());
        let op = self.config.mix.sample(ctx.rng());
        let value_bytes = sample_size(&self.config.value_size, ctx.rng());
        self.send(ctx, key, op, value_bytes);
    }

    /// Issues a request of `op` on `key` and sends its first attempt.
    fn send(&mut self, ctx: &mut Ctx<'_, Msg>, key: KeyId, op: Op, value_bytes: u32) {
        ctx.count(self.metrics().requests, 1);
        self.tally_issue(ctx, op);
        if let Some(budget) = self.budget.as_mut() {
            budget.deposit();
        }
        if let Some(budget) = self.hedge_budget.as_mut() {
            budget.deposit();
        }
        self.next_id += 1;
        let first = Outstanding {
            op,
            timeout: None,
            backend: None,
            target: None,
            cache: None,
            quorum_op: None,
            key,
            sent_at: ctx.now(),
            attempt: 1,
            value_bytes,
            backoff: self.config.retry.map_or(SimDuration::ZERO, |p| p.base()),
            to: NodeId(0),
            partner: None,
            hedge: false,
        };
        self.send_attempt(ctx, self.next_id, first);
    }

    /// An empty latency tracker, if the group hedges after a percentile.
    fn fresh_tracker(config: &ClientConfig) -> Option<LatencyTracker> {
        match config.hedge?.after {
            HedgeAfter::Percentile(p) => Some(LatencyTracker::new(p)),
            HedgeAfter::Fixed(_) => None,
        }
    }

    /// Whether this client hedges its requests (one target each, no cache-aside).
    fn hedges(&self) -> bool {
        self.config.hedge.is_some() && self.quorum.is_none() && self.config.store.is_empty()
    }

    /// Attempt `id`'s hedge delay has passed: if it is still unanswered and has no hedge,
    /// sends a copy to another target (the breaker permitting).
    fn send_hedge(&mut self, ctx: &mut Ctx<'_, Msg>, id: u64) {
        let Some(primary) = self.outstanding.get(&id).copied() else {
            return;
        };
        if primary.partner.is_some() || primary.hedge {
            return;
        }
        if self.bulkhead_full() {
            return;
        }
        if let Some(budget) = self.hedge_budget.as_mut() {
            if !budget.withdraw() {
                return;
            }
        }
        if !self.breaker_allows(ctx) {
            return;
        }
        // Another target than the primary's, if the draw allows (a few tries).
        let mut pick = self.pick_target(ctx, primary.key.0);
        for _ in 0..8 {
            if pick.0 != primary.to || self.config.targets.len() < 2 {
                break;
            }
            pick = self.pick_target(ctx, primary.key.0);
        }
        let (target, backend, target_index) = pick;
        self.next_id += 1;
        let hedge_id = self.next_id;
        let mut copy = Outstanding {
            backend,
            target: target_index,
            to: target,
            partner: std::num::NonZeroU64::new(id),
            hedge: true,
            ..primary
        };
        self.arm(ctx, hedge_id, &mut copy);
        if let Some(p) = self.outstanding.get_mut(&id) {
            p.partner = std::num::NonZeroU64::new(hedge_id);
        }
        self.hedged_pairs += 1;
        let (sent, _) = self.metrics().hedges.expect("registered with hedging");
        ctx.count(sent, 1);
        self.transmit(ctx, hedge_id, copy);
    }

    /// Whether the bulkhead holds as many attempts in flight as it allows.
    fn bulkhead_full(&self) -> bool {
        self.config
            .max_in_flight
            .is_some_and(|limit| self.outstanding.len() >= limit as usize)
    }

    /// Ends request `call` at once with `outcome`, its attempt `call.attempt` never sent (a
    /// breaker or a bulkhead refused it); the next request of a closed loop or a replay
    /// comes through a timer, so a refusal that lasts does not recurse through a trace.
    fn refuse(&mut self, ctx: &mut Ctx<'_, Msg>, call: &Outstanding, counter: CounterId) {
        ctx.count(counter, 1);
        let tried = Outstanding {
            attempt: call.attempt - 1,
            ..*call
        };
        self.tally_end(ctx, &tried, Outcome::Rejected);
        if !matches!(self.config.load, Load::Open(_)) {
            ctx.set_timer(SimDuration::ZERO, TimerTag(TAG_REFUSED));
        }
    }

    /// Attempt `ended` (removed from the outstanding) is over: if its request has another
    /// attempt in flight, unpairs them and returns that attempt's id.
    fn unpair(&mut self, ended: &Outstanding) -> Option<u64> {
        let other = ended.partner?.get();
        let partner = self.outstanding.get_mut(&other)?;
        partner.partner = None;
        self.hedged_pairs -= 1;
        Some(other)
    }

    /// A closed breaker, if the group has one.
    fn fresh_breaker(config: &ClientConfig) -> Option<(Breaker, BreakerState)> {
        config
            .breaker
            .map(|spec| (Breaker::new(spec), BreakerState::Closed))
    }

    /// Annotates the breaker's state if it changed since last annotated (the first
    /// [`BREAKER_LANES`] clients only), counting an opening.
    fn breaker_changed(&mut self, ctx: &mut Ctx<'_, Msg>) {
        let now = ctx.now();
        let Some((breaker, shown)) = self.breaker.as_mut() else {
            return;
        };
        let state = breaker.state(now);
        if std::mem::discriminant(&state) == std::mem::discriminant(shown) {
            return;
        }
        *shown = state;
        let (_, opened) = self.metrics().breaker.expect("registered with a breaker");
        if matches!(state, BreakerState::Open { .. }) {
            ctx.count(opened, 1);
        }
        if self.index < BREAKER_LANES {
            let lane = format!("breaker {}", self.index);
            match state {
                BreakerState::Closed => ctx.annotate(&lane, None, "closed".into()),
                open => ctx.annotate(&lane, Some(ctx.id()), open.name().into()),
            }
        }
    }

    /// An attempt the breaker let through ended at `now`, failed or not, after `took`.
    fn breaker_record(&mut self, ctx: &mut Ctx<'_, Msg>, failed: bool, took: SimDuration) {
        let now = ctx.now();
        if let Some((breaker, _)) = self.breaker.as_mut() {
            breaker.record(now, failed, took);
            self.breaker_changed(ctx);
        }
    }

    /// Sends attempt `id` of a request (`call`: its operation, key, first send and attempt
    /// number) to its target, or to its key's replicas with client-side coordination. An
    /// open breaker refuses it instead, ending the request.
    fn send_attempt(&mut self, ctx: &mut Ctx<'_, Msg>, id: u64, mut call: Outstanding) {
        if !self.breaker_allows(ctx) {
            let (refused, _) = self.metrics().breaker.expect("registered with a breaker");
            self.refuse(ctx, &call, refused);
            return;
        }
        if self.bulkhead_full() {
            let refused = self.metrics().bulkhead.expect("registered with a bulkhead");
            self.refuse(ctx, &call, refused);
            return;
        }
        self.arm(ctx, id, &mut call);
        let (key, op, value_bytes) = (call.key, call.op, call.value_bytes);
        if let Some(front) = self.quorum.as_mut() {
            let me = ctx.id();
            call.quorum_op = Some(front.start(ctx, id, op, key, value_bytes, me));
            self.outstanding.insert(id, call);
            return;
        }
        let (mut target, backend, target_index) = self.pick_target(ctx, key.0);
        let mut cache = None;
        if !self.config.store.is_empty() && op != Op::Read {
            // Cache-aside writes and deletes go to the store, then invalidate the cache.
            cache = Some(target);
            target = self.store_home(key);
        }
        call.backend = backend;
        call.target = target_index;
        call.cache = cache;
        call.to = target;
        call.partner = None;
        call.hedge = false;
        if self.hedges() {
            let policy = self.config.hedge.expect("hedges() checked it");
            if let Some(delay) = policy.delay(self.tracker.as_ref()) {
                ctx.set_timer(delay, TimerTag(TAG_HEDGE_BASE + id));
            }
        }
        self.transmit(ctx, id, call);
    }

    /// Whether the breaker, if any, lets an attempt through now (annotating a change).
    fn breaker_allows(&mut self, ctx: &mut Ctx<'_, Msg>) -> bool {
        let Some((breaker, _)) = self.breaker.as_mut() else {
            return true;
        };
        let allowed = breaker.allow(ctx.now());
        self.breaker_changed(ctx);
        allowed
    }

    /// Attempt `id` is about to go: its timeout timer, and its count.
    fn arm(&mut self, ctx: &mut Ctx<'_, Msg>, id: u64, call: &mut Outstanding) {
        call.timeout = self
            .config
            .timeout
            .map(|after| ctx.set_timer(after, TimerTag(TAG_TIMEOUT_BASE + id)));
        if let Some(retry) = self.metrics().retry {
            ctx.count(retry.attempts, 1);
        }
    }

    /// Records attempt `id` as outstanding and sends its request to `call.to`.
    fn transmit(&mut self, ctx: &mut Ctx<'_, Msg>, id: u64, call: Outstanding) {
        let request = Request {
            id,
            client: ctx.id(),
            op: call.op,
            key: call.key,
            value_bytes: call.value_bytes,
            sent_at: ctx.now(),
        };
        self.outstanding.insert(id, call);
        ctx.send(call.to, Msg::Request(request));
    }

    /// Attempt `failed` ended in `outcome`, a failure: tries the request again after the
    /// policy's backoff if the policy and the budget allow (`true`), or leaves it to end
    /// (`false`).
    fn retry(&mut self, ctx: &mut Ctx<'_, Msg>, failed: &Outstanding, outcome: Outcome) -> bool {
        let Some(policy) = self.config.retry else {
            return false;
        };
        if !policy.retries(outcome, failed.attempt) {
            return false;
        }
        let metrics = self
            .metrics()
            .retry
            .expect("a retrying client has retry metrics");
        if let Some(budget) = self.budget.as_mut() {
            if !budget.withdraw() {
                ctx.count(metrics.denied, 1);
                return false;
            }
        }
        ctx.count(metrics.retries, 1);
        let delay = policy.delay(failed.attempt, failed.backoff, ctx.rng());
        let next = Outstanding {
            attempt: failed.attempt + 1,
            backoff: delay,
            timeout: None,
            quorum_op: None,
            ..*failed
        };
        self.next_id += 1;
        let id = self.next_id;
        if delay == SimDuration::ZERO {
            self.send_attempt(ctx, id, next);
        } else {
            self.retrying.insert(id, next);
            ctx.set_timer(delay, TimerTag(TAG_RETRY_BASE + id));
        }
        true
    }

    /// Client-side coordination: a replica's reply, which may complete a request.
    fn on_replica_reply(&mut self, ctx: &mut Ctx<'_, Msg>, from: NodeId, reply: ReplicaMsg) {
        let Some(front) = self.quorum.as_mut() else {
            return;
        };
        let Some(done) = front.on_reply(ctx, from, reply) else {
            return;
        };
        let response = Response {
            id: done.tag,
            op: done.op,
            key: reply.key,
            status: Status::Ok,
            value_bytes: done.value_bytes,
            sent_at: done.started,
        };
        self.on_response(ctx, from, response);
    }

    /// Cache-aside: the store node that is `key`'s home.
    fn store_home(&self, key: KeyId) -> NodeId {
        let store = &self.config.store;
        store[(key.0 % store.len() as u64) as usize]
    }

    /// Cache-aside: a read missed the cache at `cache`; read the store under the same id (the
    /// end-to-end timeout keeps running).
    fn read_store(&mut self, ctx: &mut Ctx<'_, Msg>, from: NodeId, response: &Response) -> bool {
        if self.config.store.is_empty() || response.status != Status::Miss {
            return false;
        }
        let Some(outstanding) = self.outstanding.get_mut(&response.id) else {
            return false;
        };
        outstanding.cache = Some(from);
        let request = Request {
            id: response.id,
            client: ctx.id(),
            op: Op::Read,
            key: response.key,
            value_bytes: response.value_bytes,
            sent_at: response.sent_at,
        };
        ctx.send(self.store_home(response.key), Msg::Request(request));
        true
    }

    fn on_response(&mut self, ctx: &mut Ctx<'_, Msg>, from: NodeId, response: Response) {
        if self.read_store(ctx, from, &response) {
            return;
        }
        let Some(outstanding) = self.outstanding.remove(&response.id) else {
            ctx.count(self.metrics().late, 1);
            return;
        };
        if let (Some(cache), Status::Ok) = (outstanding.cache, response.status) {
            let key = response.key;
            let after = match response.op {
                Op::Read => Msg::Set {
                    key,
                    value_bytes: response.value_bytes,
                },
                Op::Write | Op::Delete => Msg::Invalidate { key },
            };
            ctx.send(cache, after);
        }
        if let Some(timer) = outstanding.timeout {
            ctx.cancel(timer);
        }
        if let (Some(idx), Some((backends, _))) = (outstanding.backend, self.balancer.as_mut()) {
            let now = ctx.now();
            backends.on_response(idx, now.saturating_since(response.sent_at), now);
        }
        let metrics = self
            .metrics
            .as_mut()
            .expect("metrics registered in on_start");
        let (counter, outcome) = match response.status {
            Status::Ok => (metrics.ok, Outcome::Ok),
            Status::Busy => (metrics.busy, Outcome::Rejected),
            Status::Unavailable => (metrics.unavailable, Outcome::Error),
            Status::Miss => (metrics.miss, Outcome::Miss),
            // Registered when the first comes, so runs without a limiter do not list it.
            Status::RateLimited => (
                *metrics
                    .rate_limited
                    .get_or_insert_with(|| ctx.counter("client.responses.rate_limited")),
                Outcome::Rejected,
            ),
        };
        ctx.count(counter, 1);
        if outcome == Outcome::Error {
            self.distrust(ctx, outstanding.target);
        }
        if matches!(response.status, Status::Ok | Status::Unavailable) {
            let ok = response.status == Status::Ok;
            self.store_outcome(
                ctx,
                outstanding.op,
                outstanding.key,
                outstanding.sent_at,
                ok,
            );
        }
        let took = ctx.now().saturating_since(response.sent_at);
        self.breaker_record(ctx, outcome.is_failure(), took);
        if outcome == Outcome::Ok {
            if let Some(tracker) = self.tracker.as_mut() {
                tracker.record(took);
            }
        }
        if let Some(other) = self.unpair(&outstanding) {
            if outcome.is_failure() {
                // Its other attempt may still succeed.
                return;
            }
            // The first answer wins; the other attempt's answer will be late.
            if let Some(loser) = self.outstanding.remove(&other) {
                if let Some(timer) = loser.timeout {
                    ctx.cancel(timer);
                }
                // Client-side balancing stops counting it as in flight at its backend.
                if let (Some(idx), Some((backends, _))) = (loser.backend, self.balancer.as_mut()) {
                    backends.on_failure(idx, ctx.now());
                }
            }
            if outstanding.hedge {
                let (_, won) = self.metrics().hedges.expect("registered with hedging");
                ctx.count(won, 1);
            }
        }
        if outcome.is_failure() && self.retry(ctx, &outstanding, outcome) {
            return;
        }
        self.tally_end(ctx, &outstanding, outcome);
        self.think_then_send(ctx);
    }
}

impl Node for Client {
    type Msg = Msg;

    fn on_start(&mut self, ctx: &mut Ctx<'_, Msg>) {
        if self.metrics.is_none() {
            let suffixes = self.config.scopes.suffixes(self.index);
            let metrics = Self::register(
                ctx,
                &self.config,
                self.replay.is_some(),
                &suffixes,
                self.failure_latency,
            );
            self.metrics = Some(metrics);
        }
        if let Some(front) = self.quorum.as_mut() {
            front.register(ctx);
        }
        if let Some(watch) = self.store_windows.as_mut() {
            if watch.windows.is_none() {
                watch.windows = Some(crate::roles::store::unavailable_window_histograms(ctx));
            }
        }
        if self.config.targets.is_empty() {
            return;
        }
        match &self.config.load {
            Load::Open(_) => self.schedule_arrival(ctx),
            Load::Closed(closed) => {
                for _ in 0..closed.concurrency.get() {
                    self.think_then_send(ctx);
                }
            }
            Load::Trace(_) => self.start_replay(ctx),
        }
    }

    fn on_message(&mut self, ctx: &mut Ctx<'_, Msg>, from: NodeId, msg: Msg) {
        match msg {
            Msg::Response(response) => self.on_response(ctx, from, response),
            Msg::Replica(reply) => self.on_replica_reply(ctx, from, reply),
            _ => {}
        }
    }

    fn on_timer(&mut self, ctx: &mut Ctx<'_, Msg>, tag: TimerTag) {
        match tag.0 {
            TAG_ARRIVAL => {
                self.send_request(ctx);
                self.schedule_arrival(ctx);
            }
            TAG_THINK => self.send_request(ctx),
            TAG_TRACE => self.on_record_due(ctx),
            TAG_REFUSED => self.think_then_send(ctx),
            hedge if (TAG_HEDGE_BASE..TAG_RETRY_BASE).contains(&hedge) => {
                self.send_hedge(ctx, hedge - TAG_HEDGE_BASE);
            }
            retry if (TAG_RETRY_BASE..TAG_TIMEOUT_BASE).contains(&retry) => {
                let id = retry - TAG_RETRY_BASE;
                let call = self
                    .retrying
                    .remove(&id)
                    .expect("a retry timer has its request (a crash skips its timers)");
                self.send_attempt(ctx, id, call);
            }
            timeout => {
                let id = timeout - TAG_TIMEOUT_BASE;
                if let Some(outstanding) = self.outstanding.remove(&id) {
                    if let (Some(op), Some(front)) = (outstanding.quorum_op, self.quorum.as_mut()) {
                        front.abandon(ctx, op);
                    }
                    ctx.count(self.metrics().timeouts, 1);
                    self.store_outcome(
                        ctx,
                        outstanding.op,
                        outstanding.key,
                        outstanding.sent_at,
                        false,
                    );
                    self.distrust(ctx, outstanding.target);
                    if let (Some(idx), Some((backends, _))) =
                        (outstanding.backend, self.balancer.as_mut())
                    {
                        backends.on_failure(idx, ctx.now());
                    }
                    let waited = self.config.timeout.unwrap_or(SimDuration::ZERO);
                    self.breaker_record(ctx, true, waited);
                    // A timed-out attempt took at least its timeout: the percentile a hedge
                    // waits for rises when attempts stop being answered.
                    if let Some(tracker) = self.tracker.as_mut() {
                        tracker.record(waited);
                    }
                    if self.unpair(&outstanding).is_some() {
                        // Its other attempt may still be answered.
                        return;
                    }
                    if self.retry(ctx, &outstanding, Outcome::Timeout) {
                        return;
                    }
                    // Its latency runs from its first attempt (its timeout, without retries).
                    self.tally_end(ctx, &outstanding, Outcome::Timeout);
                    self.think_then_send(ctx);
                }
            }
        }
    }

    fn on_crash(&mut self, ctx: &mut sim_core::CrashCtx<'_>) {
        // Outstanding requests die with the client (each counted lost); a restart starts a
        // fresh load, knowing nothing about its targets.
        if let Some(metrics) = &self.metrics {
            // A request with two attempts in flight is lost once: its hedge is skipped.
            let requests = self
                .outstanding
                .values()
                .filter(|o| !(o.hedge && o.partner.is_some()))
                .chain(self.retrying.values());
            for outstanding in requests {
                for scoped in &metrics.scoped {
                    ctx.conclude(scoped.requests[op_index(outstanding.op)], Outcome::Lost);
                    ctx.conclude(scoped.requests_all, Outcome::Lost);
                }
            }
        }
        self.ended += (self.outstanding.len() + self.retrying.len()) as u64 - self.hedged_pairs;
        self.hedged_pairs = 0;
        self.tracker = Self::fresh_tracker(&self.config);
        self.hedge_budget = self.config.hedge.and_then(|h| h.budget);
        self.outstanding.clear();
        self.retrying.clear();
        self.budget = self.config.retry_budget;
        self.breaker = Self::fresh_breaker(&self.config);
        if let Some(front) = self.quorum.as_mut() {
            front.crash();
        }
        self.balancer = Self::fresh_balancer(&self.config);
        self.skipped.clear();
    }

    fn on_restart(&mut self, ctx: &mut Ctx<'_, Msg>) {
        self.on_start(ctx);
    }

    fn check_invariants(&self) {
        assert_eq!(
            self.issued,
            self.ended + (self.outstanding.len() + self.retrying.len()) as u64 - self.hedged_pairs,
            "every request issued ends exactly once: issued = ended + outstanding + retrying - hedged pairs"
        );
    }
}
