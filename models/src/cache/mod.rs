//! Caches: eviction policies behind one [`CachePolicy`] trait, size-aware, with optional
//! per-object expiry.
//!
//! Which objects a cache keeps decides its hit ratio, and so the load behind it, so the
//! policies compared in the literature are all here, each a plain data structure:
//!
//! - [`Fifo`], [`Lru`], [`Random`] and [`Lfu`]: the classics (e.g. Aho, Denning & Ullman,
//!   "Principles of optimal page replacement", JACM 1971).
//! - [`Clock`]: second chance (Corbató, "A paging experiment with the Multics system", 1968).
//! - [`Slru`]: segmented LRU (Karedla, Love & Wherry, IEEE Computer 1994).
//! - [`TwoQ`]: Johnson & Shasha, "2Q: a low overhead high performance buffer management
//!   replacement algorithm", VLDB 1994.
//! - [`ArcCache`]: Megiddo & Modha, "ARC: a self-tuning, low overhead replacement cache",
//!   FAST 2003.
//! - [`WTinyLfu`]: Einziger, Eytan, Friedman & Manes, "TinyLFU: a highly efficient cache
//!   admission policy", ACM ToS 2017 (the W-TinyLFU design Caffeine uses).
//! - [`Sieve`]: Zhang et al., "SIEVE is simpler than LRU", NSDI 2024.
//! - [`S3Fifo`]: Yang et al., "FIFO queues are all you need for cache eviction", SOSP 2023.
//!
//! **Semantics follow libCacheSim** (github.com/1a1a11a/libCacheSim, `cache/cache.c`'s
//! `cache_get_base` and each policy's `cache/eviction/*.c`), so that miss ratios agree with it
//! on the same trace: a request to a resident object is a hit and updates the policy; a miss
//! admits the object, if the policy allows it and it fits at all, after evicting until
//! `used + size <= capacity`. A hit does not change an object's recorded size. Each policy's
//! doc names the libCacheSim file it mirrors, its default parameters, and where exact
//! agreement is impossible. Capacity is in bytes or in objects ([`Capacity`]); in objects
//! every request counts as size 1, libCacheSim's `--ignore-obj-size`.
//!
//! Every policy is one file with its registry row ([`POLICIES`], in `registry.rs`; a new
//! policy is a new file and one line there); [`CacheSpec`] builds any of them by name, with
//! default or given parameters, and `check_invariants` verifies a policy's structures (every
//! N events under `--paranoid`). [`CacheStats`] counts hits and
//! bytes for (byte) miss ratios. FIFO, LRU, CLOCK, SIEVE and LFU are checked request by
//! request against naive reference implementations, every policy against its laws (property
//! tests), the queue-level behaviour of S3-FIFO, ARC, 2Q, SLRU and W-TinyLFU on hand-made
//! sequences, and LRU, FIFO, Random and LFU against exact hit ratios under independent Zipf
//! requests (the `validation` tests, `docs/validation.md`).
//!
//! ```
//! use models::cache::{CacheRequest, CacheSpec, CacheStats, Capacity};
//! use models::workload::KeyId;
//! use sim_core::rng::{stream, StreamKind, StreamLabel};
//!
//! let rng = stream(1, StreamLabel::new(StreamKind::Model, 0));
//! let mut cache = CacheSpec::from_name("sieve")?.build(Capacity::objects(2)?, rng)?;
//! let mut stats = CacheStats::default();
//! for key in [1, 2, 1, 3, 1, 2] {
//!     let request = CacheRequest::new(KeyId(key), 100);
//!     let outcome = cache.request(&request);
//!     stats.record(&request, outcome);
//! }
//! // 1 was visited, so the hand passed it and evicted 2 when 3 arrived.
//! assert_eq!((stats.n_hits, stats.n_requests), (2, 6));
//! assert!(cache.contains(KeyId(1)) && !cache.contains(KeyId(3)));
//! # Ok::<(), models::cache::CacheError>(())
//! ```
//!
//! **Limitations:**
//! - Objects are opaque keys with a size; there is no value, no partial hit, no write-back
//!   and no notion of dirty data. A hit never changes an object's recorded size (remove and
//!   re-insert to resize), as in libCacheSim.
//! - Expiry is checked lazily, on lookup: an expired object keeps its space until it is
//!   requested, removed or evicted, and no policy prefers expired victims.
//! - Per-object metadata is not charged to the capacity (libCacheSim's default,
//!   `consider_obj_metadata = false`).
//! - [`Random`] cannot agree with libCacheSim request by request (it draws from our Philox streams, not
//!   libCacheSim's generator); its miss ratio agrees statistically. [`WTinyLfu`] uses
//!   libCacheSim's sketch hashes and sizing, except that the sketch is capped at 2^24 counters
//!   (main caches above about 1.17 million units, e.g. byte caches above ~1.2 MB), beyond
//!   which it too agrees only statistically.
//! - Amortized O(1): CLOCK's, SIEVE's and S3-FIFO's scans skip only objects whose hits set
//!   their bits or counts, W-TinyLFU's window drain moves only objects earlier misses
//!   inserted, and SLRU's demotion cascade moves only what one promotion displaces.
//!   W-TinyLFU's sketch halving is O(sketch size) once per `32 x capacity` main-cache hits.
//! - A table holds at most 2^32 - 1 entries (resident plus ghost); beyond that it panics.
//! - Policies with a small first queue cannot admit anything below a minimum capacity and are
//!   rejected there ([`CacheError::CapacityTooSmall`]): S3-FIFO below 20 units, W-TinyLFU
//!   below 100, 2Q below 4, SLRU below one unit per segment. In bytes, objects larger than
//!   that queue (10% of the cache for S3-FIFO, 1% for W-TinyLFU, 25% for 2Q, a segment for
//!   SLRU) are never admitted, as in libCacheSim.

mod arc;
mod lfu;
mod registry;
mod s3fifo;
mod simple;
mod slru;
mod spec;
mod table;
mod tinylfu;
mod twoq;

#[cfg(test)]
mod properties;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod validation;

pub use arc::ArcCache;
pub use lfu::Lfu;
pub use registry::{policies, POLICIES};
pub use s3fifo::{S3Fifo, S3FifoParams};
pub use simple::{Clock, Fifo, Lru, Random, Sieve, CLOCK_BITS_MAX};
pub use slru::{Slru, SLRU_SEGMENTS_MAX};
pub use spec::{CacheSpec, ParsePolicy, PolicyRow};
pub use tinylfu::WTinyLfu;
pub use twoq::{TwoQ, TwoQParams};

use sim_core::error::Shown;
use sim_core::SimTime;

pub use crate::fixed_hash::KeyHasher;
use crate::workload::KeyId;
use table::{Table, NEVER};

/// Largest capacity in objects: 2^30. Policies with ghost lists keep up to about twice as
/// many entries, which must stay below the table's 2^32 - 1 slots.
pub const CAPACITY_OBJECTS_MAX: u64 = 1 << 30;

/// Largest capacity in bytes: 2^60 (an exabyte), far from `u64` overflow in size sums.
pub const CAPACITY_BYTES_MAX: u64 = 1 << 60;

/// What a capacity counts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SizeUnit {
    /// Object sizes in bytes.
    Bytes,
    /// Objects: every object counts as 1, whatever its size.
    Objects,
}

impl SizeUnit {
    /// `"bytes"` or `"objects"`.
    pub fn name(self) -> &'static str {
        match self {
            SizeUnit::Bytes => "bytes",
            SizeUnit::Objects => "objects",
        }
    }
}

/// A validated cache capacity: `1..=CAPACITY_BYTES_MAX` bytes or
/// `1..=CAPACITY_OBJECTS_MAX` objects.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Capacity {
    amount: u64,
    unit: SizeUnit,
}

impl Capacity {
    /// `amount` of `unit`, rejecting 0 and amounts above the unit's maximum.
    pub fn new(amount: u64, unit: SizeUnit) -> Result<Self, CacheError> {
        let max = match unit {
            SizeUnit::Bytes => CAPACITY_BYTES_MAX,
            SizeUnit::Objects => CAPACITY_OBJECTS_MAX,
        };
        if !(1..=max).contains(&amount) {
            return Err(CacheError::BadCapacity {
                unit: unit.name(),
                max,
                value: amount,
            });
        }
        Ok(Capacity { amount, unit })
    }

    /// A capacity of `amount` bytes.
    pub fn bytes(amount: u64) -> Result<Self, CacheError> {
        Capacity::new(amount, SizeUnit::Bytes)
    }

    /// A capacity of `amount` objects.
    pub fn objects(amount: u64) -> Result<Self, CacheError> {
        Capacity::new(amount, SizeUnit::Objects)
    }

    /// The amount, in [`unit`](Capacity::unit)s.
    pub fn amount(self) -> u64 {
        self.amount
    }

    /// What the amount counts.
    pub fn unit(self) -> SizeUnit {
        self.unit
    }
}

/// One request to a cache: an object, its size, when, and (for an object a miss admits) when
/// it expires.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CacheRequest {
    /// The object.
    pub key: KeyId,
    /// Its size in bytes; ignored by object-count caches. Size 0 is accepted and occupies no
    /// capacity (libCacheSim's accounting).
    pub size_bytes: u32,
    /// When the request happens; only expiry uses it.
    pub now: SimTime,
    /// For an object this request admits: the last time it is served. A request at a later
    /// time misses and drops it (libCacheSim's `exp_time < clock_time`). `None`: never
    /// expires. A hit leaves the resident object's expiry unchanged.
    pub expire_at: Option<SimTime>,
}

impl CacheRequest {
    /// A request for `key` of `size_bytes` at time zero that never expires.
    pub fn new(key: KeyId, size_bytes: u32) -> Self {
        CacheRequest {
            key,
            size_bytes,
            now: SimTime::ZERO,
            expire_at: None,
        }
    }

    /// The same request at time `now`.
    pub fn at(self, now: SimTime) -> Self {
        CacheRequest { now, ..self }
    }

    /// The same request, admitting its object until `expire_at` (inclusive).
    pub fn expiring_at(self, expire_at: SimTime) -> Self {
        CacheRequest {
            expire_at: Some(expire_at),
            ..self
        }
    }
}

/// What a request found.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Outcome {
    /// The object was resident (and not expired).
    Hit,
    /// It was not; `admitted` says whether the request inserted it. It is not admitted when
    /// it is larger than the cache (or than the policy's smallest queue) or the policy's
    /// admission filter rejects it.
    Miss {
        /// The object is resident after the request.
        admitted: bool,
    },
}

impl Outcome {
    /// Whether this was a hit.
    pub fn is_hit(self) -> bool {
        matches!(self, Outcome::Hit)
    }
}

/// Request, hit and byte counts, for miss ratios as libCacheSim reports them: the byte miss
/// ratio weighs each request by its size in bytes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CacheStats {
    /// Requests recorded.
    pub n_requests: u64,
    /// Of them, hits.
    pub n_hits: u64,
    /// Bytes requested (sum of request sizes).
    pub bytes_requested: u64,
    /// Bytes served by hits.
    pub bytes_hit: u64,
}

impl CacheStats {
    /// Counts one request and its outcome.
    pub fn record(&mut self, request: &CacheRequest, outcome: Outcome) {
        let size = u64::from(request.size_bytes);
        self.n_requests += 1;
        self.bytes_requested += size;
        if outcome.is_hit() {
            self.n_hits += 1;
            self.bytes_hit += size;
        }
    }

    /// Misses over requests; 0 before any request.
    pub fn miss_ratio(&self) -> f64 {
        ratio(self.n_requests - self.n_hits, self.n_requests)
    }

    /// Missed bytes over requested bytes; 0 before any byte.
    pub fn byte_miss_ratio(&self) -> f64 {
        ratio(self.bytes_requested - self.bytes_hit, self.bytes_requested)
    }
}

fn ratio(part: u64, whole: u64) -> f64 {
    if whole == 0 {
        0.0
    } else {
        part as f64 / whole as f64
    }
}

/// A cache eviction policy. All policies share libCacheSim's request semantics (see the
/// module doc). `Send` so a node can own one; a cache is never shared between nodes.
pub trait CachePolicy: Send {
    /// The policy's name, as in [`POLICIES`].
    fn name(&self) -> &'static str;

    /// One request: a hit updates the policy's state; a miss admits the object if it can,
    /// evicting as needed. An expired resident object is dropped and the request misses.
    ///
    /// Hot path, budget <= 50 ns per request while the cache's table fits in the L2 cache
    /// (FIFO, LRU, CLOCK, SIEVE: one hash lookup and a few relinks; a miss adds one insert
    /// and one removal per victim); larger caches are bound by memory latency, a few cache
    /// misses per request. Allocates nothing once the cache is full (the map may rehash in
    /// place, amortized).
    fn request(&mut self, request: &CacheRequest) -> Outcome;

    /// A lookup alone (cache-aside read): on a hit, updates the policy as
    /// [`request`](CachePolicy::request) does and returns `true`; on a miss changes nothing
    /// (except dropping an expired object) and returns `false`. `get` then
    /// [`insert`](CachePolicy::insert) on a miss is exactly `request`.
    fn get(&mut self, key: KeyId, now: SimTime) -> bool;

    /// The miss path alone (cache-aside fill, write-allocate): admits `request`'s object as a
    /// miss would, consulting ghost lists, and returns whether it is resident afterwards. A
    /// resident, unexpired object is left as it is (not counted as a hit).
    fn insert(&mut self, request: &CacheRequest) -> bool;

    /// Invalidates `key`: returns whether it was resident. Also forgets a ghost entry for it.
    fn remove(&mut self, key: KeyId) -> bool;

    /// Whether `key` is resident (possibly expired: expiry is checked on lookup).
    fn contains(&self, key: KeyId) -> bool;

    /// Space in use, in the capacity's units; never above [`capacity`](CachePolicy::capacity).
    fn used(&self) -> u64;

    /// The capacity, in its units.
    fn capacity(&self) -> Capacity;

    /// Resident objects.
    fn len(&self) -> usize;

    /// Whether no object is resident.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// O(n) consistency checks of every internal structure (lists, map, counters, the
    /// policy's own bounds); panics on a violation. For tests and `--paranoid` runs.
    fn check_invariants(&self);
}

/// Why a cache could not be built. Messages name the policy, the parameter, what is valid and
/// what was given.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum CacheError {
    /// The capacity is 0 or above the unit's maximum.
    #[error("cache capacity must be >= 1 and <= {max} {unit}, got {value}")]
    BadCapacity {
        /// `"bytes"` or `"objects"`.
        unit: &'static str,
        /// The largest accepted amount.
        max: u64,
        /// The rejected amount.
        value: u64,
    },
    /// No policy has this name.
    #[error("unknown cache policy \"{name}\"{}; known policies: {known}", hint_text(.hint))]
    UnknownPolicy {
        /// The name given.
        name: String,
        /// The closest known name, if any is close.
        hint: Option<&'static str>,
        /// Every known name, comma-separated.
        known: String,
    },
    /// A real parameter is outside its valid range.
    #[error("{policy} {param} must be {valid}, got {}", Shown(*.value))]
    BadParameter {
        /// The policy's name.
        policy: &'static str,
        /// The parameter, e.g. `"small_ratio"`.
        param: &'static str,
        /// The valid range, in words.
        valid: &'static str,
        /// The rejected value.
        value: f64,
    },
    /// An integer parameter is outside its valid range.
    #[error("{policy} {param} must be {valid}, got {value}")]
    BadCount {
        /// The policy's name.
        policy: &'static str,
        /// The parameter, e.g. `"segments"`.
        param: &'static str,
        /// The valid range, in words.
        valid: &'static str,
        /// The rejected value.
        value: u64,
    },
    /// The capacity leaves one of the policy's queues too small to ever admit an object.
    #[error(
        "{policy} needs a capacity of at least {minimum} {unit} so its {part} can admit an \
         object, got {capacity} {unit}"
    )]
    CapacityTooSmall {
        /// The policy's name.
        policy: &'static str,
        /// The queue that would be empty, e.g. `"small queue"`.
        part: &'static str,
        /// The capacity given.
        capacity: u64,
        /// The smallest capacity that works with these parameters.
        minimum: u64,
        /// `"bytes"` or `"objects"`.
        unit: &'static str,
    },
}

fn hint_text(hint: &Option<&'static str>) -> String {
    match hint {
        Some(name) => format!(" (did you mean \"{name}\"?)"),
        None => String::new(),
    }
}

/// Checks that `part_of(capacity)`, the size of one of `policy`'s queues, is at least `need`
/// units, or reports the smallest capacity for which it is (`part_of` is non-decreasing, so a
/// binary search finds it).
fn check_part(
    policy: &'static str,
    part: &'static str,
    capacity: Capacity,
    need: u64,
    part_of: impl Fn(u64) -> u64,
) -> Result<(), CacheError> {
    if part_of(capacity.amount()) >= need {
        return Ok(());
    }
    let max = match capacity.unit() {
        SizeUnit::Bytes => CAPACITY_BYTES_MAX,
        SizeUnit::Objects => CAPACITY_OBJECTS_MAX,
    };
    // Invariant: part_of(low) < need; part_of(high) >= need unless nothing works.
    let (mut low, mut high) = (capacity.amount(), max);
    let minimum = if part_of(high) < need {
        u64::MAX
    } else {
        while high - low > 1 {
            let middle = low + (high - low) / 2;
            if part_of(middle) >= need {
                high = middle;
            } else {
                low = middle;
            }
        }
        high
    };
    Err(CacheError::CapacityTooSmall {
        policy,
        part,
        capacity: capacity.amount(),
        minimum,
        unit: capacity.unit().name(),
    })
}

/// Checks that a real parameter is finite and `within` its range (`valid`, in words).
fn check_ratio(
    policy: &'static str,
    param: &'static str,
    value: f64,
    valid: &'static str,
    within: impl Fn(f64) -> bool,
) -> Result<f64, CacheError> {
    if value.is_finite() && within(value) {
        Ok(value)
    } else {
        Err(CacheError::BadParameter {
            policy,
            param,
            valid,
            value,
        })
    }
}

/// What every policy holds: the table, the capacity and its unit.
#[derive(Clone, Debug)]
pub(crate) struct Core {
    pub(crate) table: Table,
    /// Capacity in units.
    pub(crate) capacity: u64,
    pub(crate) unit: SizeUnit,
}

impl Core {
    /// A core for `capacity`, its table pre-sized for the resident objects plus
    /// `ghost_fraction` x capacity ghost entries (in objects; bytes assume 4 KiB objects).
    pub(crate) fn new(capacity: Capacity, ghost_fraction: f64) -> Self {
        let objects = match capacity.unit() {
            SizeUnit::Objects => capacity.amount(),
            SizeUnit::Bytes => capacity.amount() / 4096 + 1,
        };
        let expected = objects as f64 * (1.0 + ghost_fraction);
        Core {
            table: Table::with_expected(expected as u64),
            capacity: capacity.amount(),
            unit: capacity.unit(),
        }
    }

    /// The capacity as handed in.
    pub(crate) fn capacity(&self) -> Capacity {
        Capacity {
            amount: self.capacity,
            unit: self.unit,
        }
    }

    /// A request's size in this cache's units.
    #[inline]
    pub(crate) fn units(&self, size_bytes: u32) -> u32 {
        match self.unit {
            SizeUnit::Bytes => size_bytes,
            SizeUnit::Objects => 1,
        }
    }

    /// Whether the object at `slot` has expired by `now`.
    #[inline]
    fn expired(&self, slot: u32, now: SimTime) -> bool {
        self.table.expire_at(slot) < now.as_nanos()
    }
}

/// What each policy implements; [`impl_cache_policy!`] turns it into a [`CachePolicy`] with
/// the shared request flow (lookup, expiry, hit or miss path).
pub(crate) trait Policy {
    /// The registry name.
    const NAME: &'static str;

    /// The shared core.
    fn core(&self) -> &Core;

    /// Whether `slot` (found in the map) holds a resident object rather than a ghost entry.
    fn is_resident(&self, slot: u32) -> bool;

    /// A hit on resident `slot`.
    fn on_hit(&mut self, slot: u32);

    /// A miss on `key` (`ghost`: its ghost entry, if any): consults and drops the ghost
    /// entry, then admits the object if the policy allows it, evicting as needed. Returns
    /// whether it is resident afterwards.
    fn on_miss(&mut self, key: u64, size: u32, expire_at: u64, ghost: Option<u32>) -> bool;

    /// Removes `slot` (resident or ghost) entirely.
    fn remove_slot(&mut self, slot: u32);

    /// Resident size in units.
    fn used(&self) -> u64;

    /// Resident objects.
    fn len(&self) -> usize;

    /// The policy's O(n) invariant checks.
    fn check(&self);
}

/// Where a key is: resident (unexpired), a ghost entry, or nowhere. Drops it first if it is
/// resident but expired.
fn locate<P: Policy>(policy: &mut P, key: u64, now: SimTime) -> Located {
    let Some(slot) = policy.core().table.find(key) else {
        return Located::Absent;
    };
    if !policy.is_resident(slot) {
        return Located::Ghost(slot);
    }
    if policy.core().expired(slot, now) {
        policy.remove_slot(slot);
        return Located::Absent;
    }
    Located::Resident(slot)
}

enum Located {
    Resident(u32),
    Ghost(u32),
    Absent,
}

/// The miss path shared by `request` and `insert`.
fn admit<P: Policy>(policy: &mut P, request: &CacheRequest, ghost: Option<u32>) -> bool {
    let size = policy.core().units(request.size_bytes);
    let expire_at = request.expire_at.map_or(NEVER, SimTime::as_nanos);
    let admitted = policy.on_miss(request.key.0, size, expire_at, ghost);
    let (used, capacity) = (policy.used(), policy.core().capacity);
    assert!(
        used <= capacity,
        "{}: used {used} > capacity {capacity}",
        P::NAME
    );
    admitted
}

pub(crate) fn request<P: Policy>(policy: &mut P, request: &CacheRequest) -> Outcome {
    match locate(policy, request.key.0, request.now) {
        Located::Resident(slot) => {
            policy.on_hit(slot);
            Outcome::Hit
        }
        Located::Ghost(slot) => Outcome::Miss {
            admitted: admit(policy, request, Some(slot)),
        },
        Located::Absent => Outcome::Miss {
            admitted: admit(policy, request, None),
        },
    }
}

pub(crate) fn get<P: Policy>(policy: &mut P, key: KeyId, now: SimTime) -> bool {
    match locate(policy, key.0, now) {
        Located::Resident(slot) => {
            policy.on_hit(slot);
            true
        }
        Located::Ghost(_) | Located::Absent => false,
    }
}

pub(crate) fn insert<P: Policy>(policy: &mut P, request: &CacheRequest) -> bool {
    match locate(policy, request.key.0, request.now) {
        Located::Resident(_) => true,
        Located::Ghost(slot) => admit(policy, request, Some(slot)),
        Located::Absent => admit(policy, request, None),
    }
}

pub(crate) fn remove<P: Policy>(policy: &mut P, key: KeyId) -> bool {
    let Some(slot) = policy.core().table.find(key.0) else {
        return false;
    };
    let resident = policy.is_resident(slot);
    policy.remove_slot(slot);
    resident
}

pub(crate) fn contains<P: Policy>(policy: &P, key: KeyId) -> bool {
    policy
        .core()
        .table
        .find(key.0)
        .is_some_and(|slot| policy.is_resident(slot))
}

pub(crate) fn check_invariants<P: Policy>(policy: &P) {
    let (used, capacity) = (policy.used(), policy.core().capacity);
    assert!(
        used <= capacity,
        "{}: used {used} > capacity {capacity}",
        P::NAME
    );
    if policy.core().unit == SizeUnit::Objects {
        assert_eq!(used, policy.len() as u64, "{}: objects count 1", P::NAME);
    }
    policy.check();
}

/// Implements [`CachePolicy`] for a type implementing [`Policy`].
macro_rules! impl_cache_policy {
    ($policy:ty) => {
        impl $crate::cache::CachePolicy for $policy {
            fn name(&self) -> &'static str {
                <$policy as $crate::cache::Policy>::NAME
            }
            fn request(&mut self, request: &$crate::cache::CacheRequest) -> $crate::cache::Outcome {
                $crate::cache::request(self, request)
            }
            fn get(&mut self, key: $crate::workload::KeyId, now: sim_core::SimTime) -> bool {
                $crate::cache::get(self, key, now)
            }
            fn insert(&mut self, request: &$crate::cache::CacheRequest) -> bool {
                $crate::cache::insert(self, request)
            }
            fn remove(&mut self, key: $crate::workload::KeyId) -> bool {
                $crate::cache::remove(self, key)
            }
            fn contains(&self, key: $crate::workload::KeyId) -> bool {
                $crate::cache::contains(self, key)
            }
            fn used(&self) -> u64 {
                <$policy as $crate::cache::Policy>::used(self)
            }
            fn capacity(&self) -> $crate::cache::Capacity {
                <$policy as $crate::cache::Policy>::core(self).capacity()
            }
            fn len(&self) -> usize {
                <$policy as $crate::cache::Policy>::len(self)
            }
            fn check_invariants(&self) {
                $crate::cache::check_invariants(self)
            }
        }
    };
}
use impl_cache_policy;
