//! The backend set a balancer sees: identity, weight, health and load of each backend.
//!
//! Load is tracked two ways. The *exact* view (outstanding requests, response-time EWMA) is
//! what a balancer that sees every request and response knows. The *reported* view is a
//! snapshot of outstanding counts taken at every multiple of the `refresh` interval, as a
//! periodic load report would be; policies that read it act on old information, which is how
//! herding appears (Mitzenmacher, "How useful is old information?", IEEE TPDS 11(1), 2000).

use std::collections::BTreeMap;

use sim_core::{NodeId, SimDuration, SimTime};

use super::health::HealthChange;
use super::BalancerError;

/// Whether a backend may receive requests.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Health {
    /// Eligible for every balancer.
    Healthy,
    /// Removed by the health checker; no balancer picks it until it is re-admitted.
    Ejected,
}

/// How fast a backend's response-time EWMA forgets old samples.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct EwmaDecay(DecayKind);

#[derive(Clone, Copy, Debug, PartialEq)]
enum DecayKind {
    /// Time-based: a sample `dt` after the previous one keeps `2^(-dt / half_life)` of the old
    /// average (Finagle's `PeakEwma` weighting, `exp(-dt / tau)` with `tau = half_life / ln 2`).
    HalfLife(SimDuration),
    /// Per sample: `ewma = alpha * sample + (1 - alpha) * ewma`, whatever the time between.
    Alpha(f64),
}

impl EwmaDecay {
    /// Time-based decay: after `half_life` without samples, the old average counts half.
    /// Rejects 0. Two responses in the same nanosecond give the second weight 0 (as in
    /// Finagle); use [`EwmaDecay::per_sample`] when responses bunch up.
    pub fn half_life(half_life: SimDuration) -> Result<Self, BalancerError> {
        if half_life == SimDuration::ZERO {
            return Err(BalancerError::BadDuration {
                kind: "ewma",
                param: "half_life",
                valid: "> 0",
                value: half_life,
            });
        }
        Ok(EwmaDecay(DecayKind::HalfLife(half_life)))
    }

    /// Per-sample decay with weight `alpha` (> 0, <= 1) on the newest sample; 1 keeps only
    /// the latest response time.
    pub fn per_sample(alpha: f64) -> Result<Self, BalancerError> {
        if !(alpha > 0.0 && alpha <= 1.0) {
            return Err(BalancerError::BadParameter {
                kind: "ewma",
                param: "alpha",
                valid: "> 0 and <= 1",
                value: alpha,
            });
        }
        Ok(EwmaDecay(DecayKind::Alpha(alpha)))
    }

    /// The weight the new sample gets when it arrives `since_last` after the previous one.
    fn sample_weight(self, since_last: SimDuration) -> f64 {
        let weight = match self.0 {
            DecayKind::HalfLife(half_life) => {
                let half_lives = since_last.as_nanos() as f64 / half_life.as_nanos() as f64;
                1.0 - (-half_lives).exp2()
            }
            DecayKind::Alpha(alpha) => alpha,
        };
        assert!((0.0..=1.0).contains(&weight), "ewma weight {weight}");
        weight
    }
}

/// One backend's state; private so that counts change only through [`Backends`]' handlers.
#[derive(Clone, Debug)]
struct Backend {
    node: NodeId,
    weight: u32,
    health: Health,
    outstanding: u32,
    /// Outstanding count at the last refresh boundary.
    outstanding_reported: u32,
    /// Response-time EWMA in nanoseconds and the time of its last sample; `None` until the
    /// first response.
    latency_ewma: Option<(f64, SimTime)>,
}

/// The backend set one balancer sees. Backends are indexed `0..len()` in the order given.
///
/// The host calls [`Backends::on_send`] after each pick, [`Backends::on_response`] or
/// [`Backends::on_failure`] when the request ends, [`Backends::set_health`] (or
/// [`Backends::apply`]) when the health checker reports a change, and
/// [`Backends::maybe_refresh`] before a pick. Handlers take times in non-decreasing order.
#[derive(Clone, Debug)]
pub struct Backends {
    entries: Vec<Backend>,
    /// Indices of healthy backends, ascending.
    healthy: Vec<usize>,
    decay: EwmaDecay,
    refresh: SimDuration,
    /// Index of the refresh interval the snapshot was taken in: `time / refresh`.
    refresh_epoch: u64,
    /// Bumped whenever the healthy set changes, so balancers can rebuild cached state.
    generation: u64,
    /// Latest time any handler saw, to check that time never goes backwards.
    now_last: SimTime,
}

impl Backends {
    /// A set of `members` (node, weight >= 1), all healthy and idle. The reported load is
    /// refreshed at every multiple of `refresh` (> 0); `decay` sets the EWMA's memory.
    pub fn new(
        members: &[(NodeId, u32)],
        decay: EwmaDecay,
        refresh: SimDuration,
    ) -> Result<Self, BalancerError> {
        if members.is_empty() {
            return Err(BalancerError::NoBackends);
        }
        if refresh == SimDuration::ZERO {
            return Err(BalancerError::BadDuration {
                kind: "load_report",
                param: "refresh",
                valid: "> 0",
                value: refresh,
            });
        }
        let mut first_seen: BTreeMap<NodeId, usize> = BTreeMap::new();
        for (idx, &(node, weight)) in members.iter().enumerate() {
            if weight == 0 {
                return Err(BalancerError::BadWeight { idx, node, weight });
            }
            if let Some(&first) = first_seen.get(&node) {
                return Err(BalancerError::DuplicateBackend { idx, first, node });
            }
            first_seen.insert(node, idx);
        }
        let entries: Vec<Backend> = members
            .iter()
            .map(|&(node, weight)| Backend {
                node,
                weight,
                health: Health::Healthy,
                outstanding: 0,
                outstanding_reported: 0,
                latency_ewma: None,
            })
            .collect();
        let healthy = (0..entries.len()).collect();
        Ok(Backends {
            entries,
            healthy,
            decay,
            refresh,
            refresh_epoch: 0,
            generation: 0,
            now_last: SimTime::ZERO,
        })
    }

    /// Number of backends, healthy or not (>= 1).
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Always false: a backend set has at least one member.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The node backend `idx` runs on.
    pub fn node(&self, idx: usize) -> NodeId {
        self.entries[idx].node
    }

    /// Backend `idx`'s weight (>= 1).
    pub fn weight(&self, idx: usize) -> u32 {
        self.entries[idx].weight
    }

    /// Backend `idx`'s health.
    pub fn health(&self, idx: usize) -> Health {
        self.entries[idx].health
    }

    /// Indices of the healthy backends, ascending; the only ones a balancer may pick.
    pub fn healthy(&self) -> &[usize] {
        &self.healthy
    }

    /// Requests sent to backend `idx` that have not yet ended.
    pub fn outstanding(&self, idx: usize) -> u32 {
        self.entries[idx].outstanding
    }

    /// Backend `idx`'s outstanding count as of the last refresh boundary.
    pub fn outstanding_reported(&self, idx: usize) -> u32 {
        self.entries[idx].outstanding_reported
    }

    /// Backend `idx`'s response-time EWMA in nanoseconds, or `None` before its first
    /// response.
    pub fn latency_ewma_ns(&self, idx: usize) -> Option<f64> {
        self.entries[idx].latency_ewma.map(|(ewma, _)| ewma)
    }

    /// The load-report refresh interval (> 0).
    pub fn refresh(&self) -> SimDuration {
        self.refresh
    }

    /// A counter bumped on every change of the healthy set.
    pub fn generation(&self) -> u64 {
        self.generation
    }

    /// Records that a request was sent to backend `idx` at `now`.
    pub fn on_send(&mut self, idx: usize, now: SimTime) {
        self.maybe_refresh(now);
        let backend = &mut self.entries[idx];
        backend.outstanding = backend
            .outstanding
            .checked_add(1)
            .expect("more than 2^32 outstanding requests on one backend");
    }

    /// Records that a request to backend `idx` was answered at `now` after `latency`, and
    /// folds `latency` into the backend's EWMA.
    pub fn on_response(&mut self, idx: usize, latency: SimDuration, now: SimTime) {
        self.end_request(idx, now);
        let decay = self.decay;
        let backend = &mut self.entries[idx];
        let sample = latency.as_nanos() as f64;
        let ewma = match backend.latency_ewma {
            None => sample,
            Some((old, at)) => {
                let weight = decay.sample_weight(now.saturating_since(at));
                weight * sample + (1.0 - weight) * old
            }
        };
        assert!(ewma >= 0.0, "ewma {ewma} of non-negative samples");
        backend.latency_ewma = Some((ewma, now));
    }

    /// Records that a request to backend `idx` ended at `now` without a response (an error or
    /// a client timeout); the EWMA is unchanged.
    pub fn on_failure(&mut self, idx: usize, now: SimTime) {
        self.end_request(idx, now);
    }

    /// Takes a new load snapshot if `now` is in a later refresh interval than the last one.
    /// Handlers call this before applying their change, so the snapshot holds the counts at
    /// the boundary itself (events at exactly the boundary count after it). Returns whether a
    /// snapshot was taken.
    pub fn maybe_refresh(&mut self, now: SimTime) -> bool {
        assert!(
            self.now_last <= now,
            "time went backwards: {} after {}",
            now,
            self.now_last
        );
        self.now_last = now;
        let epoch = now.as_nanos() / self.refresh.as_nanos();
        if epoch <= self.refresh_epoch {
            return false;
        }
        self.refresh_epoch = epoch;
        for backend in &mut self.entries {
            backend.outstanding_reported = backend.outstanding;
        }
        true
    }

    /// Sets backend `idx`'s health; returns whether it changed. Outstanding requests to an
    /// ejected backend still end through the handlers.
    pub fn set_health(&mut self, idx: usize, health: Health) -> bool {
        let backend = &mut self.entries[idx];
        if backend.health == health {
            return false;
        }
        backend.health = health;
        self.generation += 1;
        match (health, self.healthy.binary_search(&idx)) {
            (Health::Healthy, Err(position)) => self.healthy.insert(position, idx),
            (Health::Ejected, Ok(position)) => {
                self.healthy.remove(position);
            }
            (health, found) => panic!("healthy list disagrees: {idx} {health:?} {found:?}"),
        }
        debug_assert!(self.healthy.windows(2).all(|pair| pair[0] < pair[1]));
        true
    }

    /// Applies a health checker's verdict.
    pub fn apply(&mut self, change: HealthChange) -> bool {
        self.set_health(change.idx, change.health)
    }

    fn end_request(&mut self, idx: usize, now: SimTime) {
        self.maybe_refresh(now);
        let backend = &mut self.entries[idx];
        assert!(
            backend.outstanding > 0,
            "request to backend [{idx}] ({}) ended but none was outstanding",
            backend.node
        );
        backend.outstanding -= 1;
    }
}
