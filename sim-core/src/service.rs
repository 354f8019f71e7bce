//! Node resources: workers, a queue, and service times.
//!
//! Queueing is where tail latency comes from, so it lives in the engine rather than in each
//! model. A node with a [`ServiceModel`] has `k` identical workers and one FIFO queue in front
//! of them. [`Ctx::submit_work`](crate::Ctx::submit_work) hands it an item; a free worker
//! starts at once, otherwise the item waits. When the queue is bounded and full, the item is
//! rejected (handed back to the node, which can answer "busy") or silently dropped, as
//! configured. Each item's service time is drawn from the distribution for its operation kind
//! and multiplied by the node's slowdown factor (the slow-node fault). With *contention*
//! ([`ServiceModel::with_contention`]), it also grows by a fixed amount for every other item in
//! service when it starts — locks, caches and memory shared by concurrent work, the feedback
//! behind metastable failures (a server that slows as work piles up).
//!
//! **Overload control** ([`QueuePolicy`]): a freed worker may take the newest item instead
//! of the oldest while the queue is long (adaptive LIFO), and skip items that waited too
//! long — longer than a fixed queue timeout, or, CoDel-style, longer than a short target
//! unless the queue has been empty within the last interval (the server variant of Nichols
//! and Jacobson's CoDel that Maurer describes in "Fail at Scale", ACM Queue 2015). Skipped
//! items are dropped unanswered (their clients have most likely given up) and counted as
//! `work.dropped.expired`.
//!
//! Each model records `service.<name>.wait` (queueing delay) and `service.<name>.sojourn`
//! (queueing plus service) histograms, in nanoseconds.

use std::collections::VecDeque;
use std::num::NonZeroU32;

use crate::dist::Distribution;
use crate::error::ConfigError;
use crate::ids::OpKind;
use crate::metrics::HistogramId;
use crate::rng::SimRng;
use crate::time::{SimDuration, SimTime};

/// What a full, bounded queue does with a new item.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Overflow {
    /// Hand the item back to the node ([`Admission::Rejected`]), so it can answer "busy".
    #[default]
    Reject,
    /// Drop it silently (counted as `work.dropped.queue_full`).
    Drop,
}

/// Which queued item a freed worker takes, and which it drops as expired.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct QueuePolicy {
    /// Take the newest item while more than this many wait (adaptive LIFO).
    pub lifo_above: Option<u32>,
    /// Drop an item that waited longer than this.
    pub timeout: Option<SimDuration>,
    /// CoDel: drop an item that waited longer than `target`, or than `interval` while the
    /// queue has been empty within the last `interval`.
    pub codel: Option<Codel>,
}

/// CoDel's two durations, `target` ≤ `interval`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Codel {
    /// The wait allowed under standing overload.
    pub target: SimDuration,
    /// The wait allowed when the queue was empty lately, and how late "lately" is.
    pub interval: SimDuration,
}

impl QueuePolicy {
    /// Whether it changes anything (FIFO with no drops when not).
    pub fn is_active(&self) -> bool {
        *self != QueuePolicy::default()
    }

    /// The longest wait allowed at `now` with the queue last empty at `last_empty`.
    fn allowed_wait(&self, now: SimTime, last_empty: SimTime) -> Option<SimDuration> {
        let codel = self.codel.map(|c| {
            if now.saturating_since(last_empty) <= c.interval {
                c.interval
            } else {
                c.target
            }
        });
        match (self.timeout, codel) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }
}

/// The resources of one kind of node: workers, queue and service times.
#[derive(Clone, Debug)]
pub struct ServiceModel {
    name: String,
    workers: NonZeroU32,
    queue_capacity: Option<u32>,
    overflow: Overflow,
    op_times: Vec<Distribution>,
    contention: SimDuration,
    /// `None`: plain FIFO with no drops (only an active policy is kept).
    queue_policy: Option<QueuePolicy>,
}

impl ServiceModel {
    /// `workers` workers behind an unbounded FIFO queue; every operation kind takes
    /// `service_time` (nanoseconds). `name` labels its metrics (`service.<name>.wait`).
    pub fn new(name: &str, workers: NonZeroU32, service_time: Distribution) -> Self {
        ServiceModel {
            name: name.to_string(),
            workers,
            queue_capacity: None,
            overflow: Overflow::Reject,
            op_times: vec![service_time],
            contention: SimDuration::ZERO,
            queue_policy: None,
        }
    }

    /// Adds `per_job` to an item's service time for every other item in service when it
    /// starts (before the slowdown factor): with `w` others busy, it takes `sample + w ·
    /// per_job`.
    pub fn with_contention(mut self, per_job: SimDuration) -> Self {
        self.contention = per_job;
        self
    }

    /// Serves its queue by `policy` (adaptive LIFO, queue timeout, CoDel).
    pub fn with_queue_policy(mut self, policy: QueuePolicy) -> Self {
        self.queue_policy = policy.is_active().then_some(policy);
        self
    }

    /// Whether its queue policy changes anything (plain FIFO when not).
    #[inline(always)]
    pub fn has_queue_policy(&self) -> bool {
        self.queue_policy.is_some()
    }

    /// Bounds the queue (items waiting, not counting those in service) and says what happens
    /// to an item that finds it full.
    pub fn with_queue_capacity(mut self, capacity: u32, overflow: Overflow) -> Self {
        self.queue_capacity = Some(capacity);
        self.overflow = overflow;
        self
    }

    /// Gives operation kinds `0..times.len()` their own service-time distributions.
    pub fn with_op_times(mut self, times: Vec<Distribution>) -> Result<Self, ConfigError> {
        if times.is_empty() {
            return Err(ConfigError::TooSmall {
                what: "service times per operation",
                min: 1,
                value: 0,
            });
        }
        self.op_times = times;
        Ok(self)
    }

    /// The label of its metrics.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Number of workers.
    pub fn workers(&self) -> NonZeroU32 {
        self.workers
    }

    /// What a full queue does with a new item.
    pub fn overflow(&self) -> Overflow {
        self.overflow
    }

    /// The queue bound, if any.
    pub fn queue_capacity(&self) -> Option<u32> {
        self.queue_capacity
    }

    /// The service-time distribution of operation kind `op`, if defined.
    pub fn op_time(&self, op: OpKind) -> Option<&Distribution> {
        self.op_times.get(op.0 as usize)
    }

    /// Number of operation kinds with a service time.
    pub fn n_ops(&self) -> u16 {
        self.op_times.len() as u16
    }
}

/// The answer to [`Ctx::submit_work`](crate::Ctx::submit_work).
#[derive(Debug)]
#[must_use = "a rejected item is handed back and should be answered"]
pub enum Admission<M> {
    /// A worker started on it at once.
    Started,
    /// It waits in the queue.
    Queued,
    /// The queue was full; here is the item back.
    Rejected(M),
    /// The queue was full and the item was dropped.
    Dropped,
    /// The node has no service model; here is the item back.
    NoService(M),
}

/// An item waiting or in service.
#[derive(Debug)]
pub(crate) struct Job<M> {
    pub op: OpKind,
    pub item: M,
    pub submitted_at: SimTime,
    pub started_at: SimTime,
}

/// One node's workers and queue at run time.
#[derive(Debug)]
pub(crate) struct ServiceState<M> {
    /// Index of the model in the engine's table.
    pub model: u32,
    pub wait_hist: HistogramId,
    pub sojourn_hist: HistogramId,
    /// `in_service[w]` is worker `w`'s current job.
    pub in_service: Vec<Option<Job<M>>>,
    /// Free workers, lowest index on top (a stack, so picking one is O(1)).
    pub idle: Vec<u32>,
    pub queue: VecDeque<Job<M>>,
    pub rng: SimRng,
    /// Service-time multiplier: the product of the active slow-node windows' factors,
    /// recomputed from `slow_windows` whenever one starts or ends; exactly 1.0 when none is.
    pub slowdown: f64,
    /// Active slow-node windows as (timeline fault index, factor), sorted by index so the
    /// product is always taken in the same order.
    pub slow_windows: Vec<(u32, f64)>,
    /// When the queue last stopped being empty (CoDel's "empty lately"), set as an item is
    /// queued into an empty queue.
    pub last_empty: SimTime,
    /// Total nanoseconds workers spent serving, for per-node load.
    pub busy_ns: u64,
    pub completed: u64,
}

/// The idle stack of `n` free workers: worker 0 on top.
pub(crate) fn idle_workers(n: u32) -> Vec<u32> {
    (0..n).rev().collect()
}

/// What happened to a submitted job.
pub(crate) enum Submit<M> {
    /// Worker `w` started it; it finishes after the returned service time.
    Start(u32, SimDuration),
    Queued,
    Full(Job<M>),
}

impl<M> ServiceState<M> {
    /// Picks a free worker or queues the job (submitted now, at `job.submitted_at`).
    #[inline(always)]
    pub(crate) fn submit(&mut self, model: &ServiceModel, job: Job<M>) -> Submit<M> {
        if let Some(worker) = self.idle.pop() {
            let now = job.submitted_at;
            let duration = self.start(model, worker as usize, job, now);
            return Submit::Start(worker, duration);
        }
        if model
            .queue_capacity
            .is_some_and(|cap| self.queue.len() >= cap as usize)
        {
            return Submit::Full(job);
        }
        if self.queue.is_empty() {
            // The queue stops being empty now: CoDel's "empty lately" runs from here (kept
            // off the start-at-once path, which every item of an idle node takes).
            self.last_empty = job.submitted_at;
        }
        self.queue.push_back(job);
        Submit::Queued
    }

    /// The queued item a freed worker takes at `now` under `model`'s queue policy, and how
    /// many it dropped as expired on the way. Only for a model with a policy: the caller
    /// pops the plain FIFO queue itself.
    #[inline(never)]
    pub(crate) fn next_job(&mut self, model: &ServiceModel, now: SimTime) -> (Option<Job<M>>, u64) {
        let policy = model
            .queue_policy
            .as_ref()
            .expect("the caller checked has_queue_policy");
        let mut expired = 0;
        loop {
            let lifo = policy
                .lifo_above
                .is_some_and(|n| self.queue.len() > n as usize);
            let job = if lifo {
                self.queue.pop_back()
            } else {
                self.queue.pop_front()
            };
            // An emptied queue needs no mark: the next push into it sets `last_empty`.
            let Some(job) = job else {
                return (None, expired);
            };
            let allowed = policy.allowed_wait(now, self.last_empty);
            if allowed.is_some_and(|a| now.saturating_since(job.submitted_at) > a) {
                expired += 1;
                continue;
            }
            return (Some(job), expired);
        }
    }

    /// Puts `job` on `worker`, started `now`, and draws its service time.
    ///
    /// Inline, and the start time an argument rather than a field the caller sets: a job
    /// written field by field and then copied whole through a call stalls the copy until the
    /// field's store lands (a store-forwarding stall; a sixth of M/M/1's time, profiled).
    #[inline(always)]
    pub(crate) fn start(
        &mut self,
        model: &ServiceModel,
        worker: usize,
        job: Job<M>,
        now: SimTime,
    ) -> SimDuration {
        assert!(self.in_service[worker].is_none(), "worker already busy");
        let dist = model
            .op_time(job.op)
            .expect("operation kind validated at submit");
        let mut base = dist.sample(&mut self.rng);
        if model.contention > SimDuration::ZERO {
            // `worker` is neither idle nor busy yet: the others busy are the rest.
            let others = self.in_service.len() - self.idle.len() - 1;
            base += model.contention.0 as f64 * others as f64;
        }
        let duration = SimDuration::from_nanos_f64(base * self.slowdown);
        self.busy_ns = self.busy_ns.saturating_add(duration.0);
        self.in_service[worker] = Some(Job {
            started_at: now,
            ..job
        });
        duration
    }

    /// Starts (`Some(factor)`) or ends (`None`) the slow-node window of timeline fault
    /// `index`, then recomputes the slowdown from the windows still active. Recomputing
    /// rather than multiplying by `1/factor` on the way out keeps the factor exact: with no
    /// window active it is 1.0, not 0.9999999999999998.
    pub(crate) fn set_slow_window(&mut self, index: u32, factor: Option<f64>) {
        let position = self.slow_windows.binary_search_by_key(&index, |w| w.0);
        match (factor, position) {
            (Some(factor), Err(at)) => self.slow_windows.insert(at, (index, factor)),
            (None, Ok(at)) => {
                self.slow_windows.remove(at);
            }
            // Pair assertion: a window starts once and ends once, after it started.
            (Some(_), Ok(_)) => panic!("slow window of fault {index} started twice"),
            (None, Err(_)) => panic!("slow window of fault {index} ended but never started"),
        }
        self.slowdown = self.slow_windows.iter().map(|(_, f)| f).product();
        if self.slow_windows.is_empty() {
            assert_eq!(
                self.slowdown, 1.0,
                "no slow window leaves a factor of exactly 1"
            );
        }
    }

    /// O(workers) consistency checks: every worker is idle or busy, never both; the factor is
    /// the product of the active windows.
    pub(crate) fn check_invariants(&self, model: &ServiceModel) {
        assert_eq!(
            self.in_service.len() as u32,
            model.workers().get(),
            "worker slots"
        );
        let busy = self.in_service.iter().filter(|j| j.is_some()).count();
        assert_eq!(
            busy + self.idle.len(),
            self.in_service.len(),
            "idle + busy = workers"
        );
        for &worker in &self.idle {
            assert!(
                self.in_service[worker as usize].is_none(),
                "idle worker {worker} busy"
            );
        }
        if !self.queue.is_empty() {
            assert!(self.idle.is_empty(), "work queued while a worker is idle");
        }
        if let Some(capacity) = model.queue_capacity {
            assert!(
                self.queue.len() <= capacity as usize,
                "queue over its bound"
            );
        }
        let product: f64 = self.slow_windows.iter().map(|(_, f)| f).product();
        assert_eq!(
            self.slowdown.to_bits(),
            product.to_bits(),
            "slowdown = product of windows"
        );
        assert!(
            self.slow_windows.windows(2).all(|w| w[0].0 < w[1].0),
            "windows sorted"
        );
    }

    /// Number of items waiting or in service (lost if the node crashes now).
    pub(crate) fn n_jobs(&self) -> usize {
        self.queue.len() + self.in_service.iter().filter(|j| j.is_some()).count()
    }

    /// Drops every job (a crash) and returns how many there were.
    pub(crate) fn clear(&mut self) -> usize {
        let n = self.n_jobs();
        self.queue.clear();
        self.in_service.iter_mut().for_each(|j| *j = None);
        self.idle = idle_workers(self.in_service.len() as u32);
        n
    }
}
