//! The `cache` role: a cache node hosting a [`CachePolicy`], either on its own (look-aside,
//! like memcached: clients fill it) or in front of a backing store group (read-through, with a
//! write policy), so cache tiers can be studied inside full scenarios.
//!
//! **Look-aside** (no backend). A read that hits is answered `Ok`; one that misses is answered
//! [`Status::Miss`], and the client (with `store` set, see [`crate::roles::client`]) reads the
//! store and then fills the cache with a [`Msg::Set`]; a write is stored (a `set`), a delete
//! removes the key. Writes by cache-aside clients go to the store and invalidate the cache
//! with a [`Msg::Invalidate`]. This is the *cache-aside* pattern (Nishtala et al., "Scaling
//! Memcache at Facebook", NSDI 2013, §2.1: demand-filled look-aside cache, delete on write).
//!
//! **Read-through** (a backend group). A read miss is fetched from the backend (the backend
//! node is picked by key, `key mod n`, so a key always has the same home) and the answer fills
//! the cache before the client is answered. With *request coalescing* on, concurrent misses of
//! one key wait for a single fetch (the "thundering herd" / stampede protection of Nishtala et
//! al. §3.2.1, leases; Varnish's request coalescing). Writes follow the write policy:
//! - *write-through*: forwarded to the backend; when it acknowledges, the object is admitted
//!   (write-allocate) and the client answered.
//! - *write-back*: admitted and answered at once; the key is remembered as dirty and written to
//!   the backend at the next flush (every `flush_interval`). A crash loses the dirty writes,
//!   counted in `cache.writes_lost`.
//! - *write-around*: forwarded to the backend; on its acknowledgement the cached copy (if any)
//!   is invalidated, so the next read fetches the new value.
//!
//! Deletes remove the key and (with a backend) are forwarded. **TTL**: objects admitted with a
//! `ttl` (plus a uniform jitter of up to `ttl_jitter` of it, so keys filled together do not
//! expire together) miss once expired. **Refresh-ahead**: a hit on an object within the last
//! `refresh_ahead` fraction of its TTL answers from the cache and fetches the key again in the
//! background, resetting its TTL (Oracle Coherence's refresh-ahead factor).
//!
//! A cache node may have a service model (its lookup cost); hits and misses are decided when
//! the work completes. A crash empties the cache (it restarts cold), drops in-flight fetches
//! and loses unflushed writes.
//!
//! Records `cache.hits`, `cache.misses`, `cache.backend_reads`, `cache.coalesced`,
//! `cache.backend_writes`, `cache.writes_lost`, `cache.refreshes`, `cache.invalidations`.
//!
//! **Limitations:**
//! - Values are sizes, not data: there is no staleness check, so a write-around or TTL race is
//!   not detected as a stale read.
//! - Write-back keeps dirty keys in a write buffer until the flush, even if the policy evicts
//!   the object before that (a real cache writes an evicted dirty object back at once).
//! - Requests to the backend are not timed out or retried by the cache; a backend crash leaves
//!   them pending until the client's own timeout (the cache forgets them on its own crash).
//! - A write or a delete of a key with a fetch in flight does not cancel the fetch: the fetch
//!   still fills the cache when it returns.

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

use rand::Rng;
use sim_core::{
    Admission, CompletedWork, CounterId, CrashCtx, Ctx, Node, NodeId, SimDuration, SimTime,
    TimerTag,
};

use crate::cache::{CachePolicy, CacheRequest, CacheSpec, Capacity};
use crate::msg::{Msg, Request, Response, Status};
use crate::roles::server::{op_kind, reply};
use crate::workload::{KeyId, Op};

/// What cache nodes record, with each counter's good direction, and the hit ratio derived
/// from them.
pub const METRICS: sim_core::MetricTable = sim_core::MetricTable {
    recorded: &[
        sim_core::MetricDecl::counter(
            "cache.hits",
            sim_core::metrics::Direction::LowerIsWorse,
            "lookups that found the key",
        ),
        sim_core::MetricDecl::counter(
            "cache.misses",
            sim_core::metrics::Direction::HigherIsWorse,
            "lookups that did not",
        ),
        sim_core::MetricDecl::counter(
            "cache.writes_lost",
            sim_core::metrics::Direction::HigherIsWorse,
            "write-back: acknowledged writes a crash destroyed before their flush",
        ),
        sim_core::MetricDecl::counter(
            "cache.*",
            sim_core::metrics::Direction::Neutral,
            "backend reads and writes, coalesced misses, refreshes, invalidations",
        ),
    ],
    derived: &[sim_core::metrics::DerivedMetric {
        name: "cache.hit_ratio",
        formula: sim_core::metrics::Formula::Ratio {
            numerator: &["cache.hits"],
            denominator: &["cache.hits", "cache.misses"],
        },
        unit: sim_core::Unit::Ratio,
        direction: sim_core::metrics::Direction::LowerIsWorse,
        description: "cache.hits / (cache.hits + cache.misses)",
    }],
    curves: &[],
};

/// What happens to writes that reach a read-through cache.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WritePolicy {
    /// To the backend first; admitted when it acknowledges.
    Through,
    /// Admitted and acknowledged at once; written to the backend at the next flush.
    Back {
        /// How often dirty keys are written to the backend.
        flush_interval: SimDuration,
    },
    /// To the backend; the cached copy is invalidated when it acknowledges.
    Around,
}

/// Expiry of admitted objects.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Ttl {
    /// Time to live.
    pub ttl: SimDuration,
    /// Each object's TTL is `ttl * (1 + u * jitter)`, `u` uniform in `[0, 1)`; in `[0, 1]`.
    pub jitter: f64,
    /// Refresh-ahead: a hit within this last fraction of the TTL refetches in the background;
    /// in `(0, 1)`, or `None`.
    pub refresh_ahead: Option<f64>,
}

/// Everything a cache group shares.
#[derive(Clone, Debug)]
pub struct CacheNodeConfig {
    /// The eviction policy.
    pub policy: CacheSpec,
    /// Each node's capacity (bytes: objects are sized by their value bytes).
    pub capacity: Capacity,
    /// The backing group for read-through; empty for a look-aside cache.
    pub backend: Vec<NodeId>,
    /// What writes do (read-through only).
    pub write: WritePolicy,
    /// Expiry, if objects expire.
    pub ttl: Option<Ttl>,
    /// Concurrent misses of one key share one backend fetch.
    pub coalesce: bool,
}

#[derive(Clone, Copy, Debug)]
struct Metrics {
    hits: CounterId,
    misses: CounterId,
    backend_reads: CounterId,
    coalesced: CounterId,
    backend_writes: CounterId,
    writes_lost: CounterId,
    refreshes: CounterId,
    invalidations: CounterId,
}

/// Why the cache sent something to its backend.
#[derive(Clone, Debug)]
enum Pending {
    /// A read miss: these client requests wait for the value.
    Fetch { key: KeyId, waiters: Vec<Request> },
    /// A refresh-ahead fetch nobody waits for.
    Refresh { key: KeyId, value_bytes: u32 },
    /// A write (through or around) or a delete, answered when the backend acknowledges.
    Write { request: Request },
    /// A write-back flush of one key.
    Flush,
}

/// Timer tag of the write-back flush.
const TAG_FLUSH: u64 = 0;

/// A cache node.
pub struct CacheNode {
    config: Arc<CacheNodeConfig>,
    /// Built on start and on restart (cold).
    cache: Option<Box<dyn CachePolicy>>,
    /// Backend requests in flight, by the id the cache gave them (looked up, never iterated).
    pending: HashMap<u64, Pending>,
    /// Keys with a fetch in flight and its id, for coalescing (looked up, never iterated).
    fetching: HashMap<u64, u64>,
    /// Each admitted object's expiry, for refresh-ahead (looked up, never iterated).
    expiry: HashMap<u64, SimTime>,
    /// Write-back: dirty keys and their value sizes, flushed in key order.
    dirty: BTreeSet<(u64, u32)>,
    next_id: u64,
    /// Caches built so far (one per start and restart): numbers the policy's own stream.
    builds: u32,
    metrics: Option<Metrics>,
}

impl std::fmt::Debug for CacheNode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CacheNode")
            .field("policy", &self.config.policy)
            .field("pending", &self.pending.len())
            .field("dirty", &self.dirty.len())
            .finish()
    }
}

impl CacheNode {
    /// A cache node of `config`. Panics if the policy cannot be built at the capacity: scenarios
    /// build one when validating.
    pub fn new(config: Arc<CacheNodeConfig>) -> Self {
        CacheNode {
            config,
            cache: None,
            pending: HashMap::new(),
            fetching: HashMap::new(),
            expiry: HashMap::new(),
            dirty: BTreeSet::new(),
            next_id: 0,
            builds: 0,
            metrics: None,
        }
    }

    fn metrics(&self) -> Metrics {
        self.metrics.expect("registered in on_start")
    }

    fn cache(&mut self) -> &mut dyn CachePolicy {
        self.cache.as_deref_mut().expect("built in on_start")
    }

    /// The backend node that is `key`'s home.
    fn home(&self, key: KeyId) -> NodeId {
        let backend = &self.config.backend;
        backend[(key.0 % backend.len() as u64) as usize]
    }

    /// Sends `op` on `key` to the key's home under a fresh id, remembering why.
    fn send_to_backend(
        &mut self,
        ctx: &mut Ctx<'_, Msg>,
        op: Op,
        key: KeyId,
        value_bytes: u32,
        why: Pending,
    ) -> u64 {
        self.next_id += 1;
        let id = self.next_id;
        let request = Request {
            id,
            client: ctx.id(),
            op,
            key,
            value_bytes,
            sent_at: ctx.now(),
        };
        ctx.send(self.home(key), Msg::Request(request));
        self.pending.insert(id, why);
        id
    }

    /// Admits `key` (if the policy does) with a fresh TTL.
    fn admit(&mut self, ctx: &mut Ctx<'_, Msg>, key: KeyId, value_bytes: u32) {
        let now = ctx.now();
        let mut request = CacheRequest::new(key, value_bytes).at(now);
        if let Some(ttl) = self.config.ttl {
            let stretch = 1.0 + ctx.rng().random::<f64>() * ttl.jitter;
            let life = SimDuration((ttl.ttl.as_nanos() as f64 * stretch) as u64);
            let expire_at = now + life;
            request = request.expiring_at(expire_at);
            self.expiry.insert(key.0, expire_at);
        }
        self.cache().insert(&request);
    }

    fn on_read(&mut self, ctx: &mut Ctx<'_, Msg>, request: Request) {
        let now = ctx.now();
        if self.cache().get(request.key, now) {
            ctx.count(self.metrics().hits, 1);
            reply(ctx, &request, Status::Ok);
            self.maybe_refresh(ctx, request.key, request.value_bytes);
            return;
        }
        ctx.count(self.metrics().misses, 1);
        if self.config.backend.is_empty() {
            reply(ctx, &request, Status::Miss);
            return;
        }
        if self.config.coalesce {
            if let Some(id) = self.fetching.get(&request.key.0) {
                if let Some(Pending::Fetch { waiters, .. }) = self.pending.get_mut(id) {
                    waiters.push(request);
                    ctx.count(self.metrics().coalesced, 1);
                    return;
                }
            }
        }
        ctx.count(self.metrics().backend_reads, 1);
        let (key, value_bytes) = (request.key, request.value_bytes);
        let why = Pending::Fetch {
            key,
            waiters: vec![request],
        };
        let id = self.send_to_backend(ctx, Op::Read, key, value_bytes, why);
        if self.config.coalesce {
            self.fetching.insert(key.0, id);
        }
    }

    /// Refresh-ahead: refetch `key` if its TTL is in its last `refresh_ahead` fraction.
    fn maybe_refresh(&mut self, ctx: &mut Ctx<'_, Msg>, key: KeyId, value_bytes: u32) {
        let Some(Ttl {
            ttl,
            refresh_ahead: Some(fraction),
            ..
        }) = self.config.ttl
        else {
            return;
        };
        if self.config.backend.is_empty() || self.fetching.contains_key(&key.0) {
            return;
        }
        let Some(&expire_at) = self.expiry.get(&key.0) else {
            return;
        };
        let window = SimDuration((ttl.as_nanos() as f64 * fraction) as u64);
        if expire_at.as_nanos().saturating_sub(ctx.now().as_nanos()) > window.as_nanos() {
            return;
        }
        ctx.count(self.metrics().refreshes, 1);
        let id = self.send_to_backend(
            ctx,
            Op::Read,
            key,
            value_bytes,
            Pending::Refresh { key, value_bytes },
        );
        self.fetching.insert(key.0, id);
    }

    fn on_write(&mut self, ctx: &mut Ctx<'_, Msg>, request: Request) {
        if self.config.backend.is_empty() {
            // Look-aside: a set (a client's write or fill) stores the value.
            self.admit(ctx, request.key, request.value_bytes);
            reply(ctx, &request, Status::Ok);
            return;
        }
        match self.config.write {
            WritePolicy::Back { .. } => {
                self.admit(ctx, request.key, request.value_bytes);
                self.dirty.insert((request.key.0, request.value_bytes));
                reply(ctx, &request, Status::Ok);
            }
            WritePolicy::Through | WritePolicy::Around => {
                ctx.count(self.metrics().backend_writes, 1);
                let (key, value_bytes) = (request.key, request.value_bytes);
                self.send_to_backend(ctx, Op::Write, key, value_bytes, Pending::Write { request });
            }
        }
    }

    fn on_delete(&mut self, ctx: &mut Ctx<'_, Msg>, request: Request) {
        self.invalidate(ctx, request.key);
        if self.config.backend.is_empty() {
            reply(ctx, &request, Status::Ok);
            return;
        }
        let key = request.key;
        self.send_to_backend(ctx, Op::Delete, key, 0, Pending::Write { request });
    }

    fn invalidate(&mut self, ctx: &mut Ctx<'_, Msg>, key: KeyId) {
        if self.cache().remove(key) {
            ctx.count(self.metrics().invalidations, 1);
        }
        self.expiry.remove(&key.0);
    }

    fn on_backend_answer(&mut self, ctx: &mut Ctx<'_, Msg>, response: Response) {
        let Some(why) = self.pending.remove(&response.id) else {
            return; // A duplicate, or an answer to a fetch made before a crash.
        };
        let ok = response.status == Status::Ok;
        match why {
            Pending::Fetch { key, waiters } => {
                self.fetching.remove(&key.0);
                if ok {
                    self.admit(ctx, key, response.value_bytes);
                }
                for waiter in &waiters {
                    reply(ctx, waiter, response.status);
                }
            }
            Pending::Refresh { key, value_bytes } => {
                self.fetching.remove(&key.0);
                if ok {
                    // A fresh copy: replace the old one, with a new TTL.
                    self.cache().remove(key);
                    self.admit(ctx, key, value_bytes);
                }
            }
            Pending::Write { request } => {
                if ok && request.op == Op::Write {
                    match self.config.write {
                        WritePolicy::Around => self.invalidate(ctx, request.key),
                        _ => self.admit(ctx, request.key, request.value_bytes),
                    }
                }
                reply(ctx, &request, response.status);
            }
            Pending::Flush => {}
        }
    }

    fn flush(&mut self, ctx: &mut Ctx<'_, Msg>) {
        let dirty = std::mem::take(&mut self.dirty);
        for (key, value_bytes) in dirty {
            ctx.count(self.metrics().backend_writes, 1);
            self.send_to_backend(ctx, Op::Write, KeyId(key), value_bytes, Pending::Flush);
        }
        if let WritePolicy::Back { flush_interval } = self.config.write {
            ctx.set_timer(flush_interval, TimerTag(TAG_FLUSH));
        }
    }

    fn serve(&mut self, ctx: &mut Ctx<'_, Msg>, request: Request) {
        match request.op {
            Op::Read => self.on_read(ctx, request),
            Op::Write => self.on_write(ctx, request),
            Op::Delete => self.on_delete(ctx, request),
        }
    }
}

impl Node for CacheNode {
    type Msg = Msg;

    fn on_start(&mut self, ctx: &mut Ctx<'_, Msg>) {
        if self.metrics.is_none() {
            self.metrics = Some(Metrics {
                hits: ctx.counter("cache.hits"),
                misses: ctx.counter("cache.misses"),
                backend_reads: ctx.counter("cache.backend_reads"),
                coalesced: ctx.counter("cache.coalesced"),
                backend_writes: ctx.counter("cache.backend_writes"),
                writes_lost: ctx.counter("cache.writes_lost"),
                refreshes: ctx.counter("cache.refreshes"),
                invalidations: ctx.counter("cache.invalidations"),
            });
        }
        // The policy's own draws (random eviction) come from a labelled stream of their own,
        // a fresh one for each cold start, so they never shift the node's own draws.
        let rng = ctx.model_rng(self.builds);
        self.builds += 1;
        let cache = self
            .config
            .policy
            .build(self.config.capacity, rng)
            .expect("validated: the policy builds at this capacity");
        self.cache = Some(cache);
        if let (WritePolicy::Back { flush_interval }, false) =
            (self.config.write, self.config.backend.is_empty())
        {
            ctx.set_timer(flush_interval, TimerTag(TAG_FLUSH));
        }
    }

    fn on_message(&mut self, ctx: &mut Ctx<'_, Msg>, from: NodeId, msg: Msg) {
        match msg {
            Msg::Request(request) => {
                match ctx.submit_work(op_kind(request.op), Msg::Request(request)) {
                    Admission::Started | Admission::Queued | Admission::Dropped => {}
                    Admission::Rejected(Msg::Request(request)) => {
                        reply(ctx, &request, Status::Busy)
                    }
                    Admission::NoService(Msg::Request(request)) => self.serve(ctx, request),
                    Admission::Rejected(_) | Admission::NoService(_) => {
                        unreachable!("the service model hands back what it was given")
                    }
                }
            }
            Msg::Response(response) => self.on_backend_answer(ctx, response),
            Msg::Set { key, value_bytes } => self.admit(ctx, key, value_bytes),
            Msg::Invalidate { key } => self.invalidate(ctx, key),
            Msg::Probe { seq } => ctx.send(from, Msg::ProbeAck { seq }),
            // An out-of-tree protocol's messages are for that protocol's nodes.
            Msg::ProbeAck { .. }
            | Msg::Replica(_)
            | Msg::Raft(_)
            | Msg::Gossip(_)
            | Msg::Member(_)
            | Msg::Custom(_) => {}
        }
    }

    fn on_work_done(&mut self, ctx: &mut Ctx<'_, Msg>, work: CompletedWork<Msg>) {
        if let Msg::Request(request) = work.item {
            self.serve(ctx, request);
        }
    }

    fn on_timer(&mut self, ctx: &mut Ctx<'_, Msg>, tag: TimerTag) {
        if tag.0 == TAG_FLUSH {
            self.flush(ctx);
        }
    }

    fn on_crash(&mut self, ctx: &mut CrashCtx<'_>) {
        // Volatile: the cache's contents, fetches in flight, and the unflushed writes.
        self.cache = None;
        self.pending.clear();
        self.fetching.clear();
        self.expiry.clear();
        ctx.count(self.metrics().writes_lost, self.dirty.len() as u64);
        self.dirty.clear();
    }

    fn on_restart(&mut self, ctx: &mut Ctx<'_, Msg>) {
        self.on_start(ctx);
    }

    /// The policy's own structure checks, and that every coalesced fetch is a pending one.
    fn check_invariants(&self) {
        if let Some(cache) = &self.cache {
            cache.check_invariants();
            assert!(
                cache.used() <= cache.capacity().amount(),
                "cache over capacity"
            );
        }
        for id in self.fetching.values() {
            assert!(
                self.pending.contains_key(id),
                "coalesced fetch {id} is not pending"
            );
        }
    }
}
