//! The context a node acts through.
//!
//! Every effect a node has on the world (sending, timers, work, metrics, randomness) goes
//! through [`Ctx`], so the engine can order it, apply the network and faults to it, and record
//! it. A node gets a fresh `Ctx` for each event; it cannot keep one.

use crate::ids::{NodeId, OpKind, TimerId, TimerTag};
use crate::message::Message;
use crate::metrics::builtin;
use crate::metrics::{CounterId, HistogramId, Outcome, OutcomeId, Unit};
use crate::network::{Route, SenderLink, ZoneId};
use crate::rng::{stream, SimRng, StreamKind, StreamLabel};
use crate::service::{Admission, Job, Overflow, Submit};
use crate::time::{SimDuration, SimTime};
use crate::world::{Event, TracedSend, World};

/// A node's handle on the simulation while it handles one event.
pub struct Ctx<'a, M: Message> {
    pub(crate) world: &'a mut World<M>,
    pub(crate) node: NodeId,
}

impl<M: Message> Ctx<'_, M> {
    /// The current simulated time.
    #[inline]
    pub fn now(&self) -> SimTime {
        self.world.now
    }

    /// This node's id.
    #[inline]
    pub fn id(&self) -> NodeId {
        self.node
    }

    /// Number of nodes in the simulation.
    pub fn n_nodes(&self) -> u32 {
        self.world.slots.len() as u32
    }

    /// The zone a node lives in.
    pub fn zone_of(&self, node: NodeId) -> ZoneId {
        self.world.zones[node.idx()]
    }

    /// Sends `msg` to `to` over the network (see [`crate::network`] for what can happen to
    /// it). A message to oneself arrives at once and is never dropped.
    ///
    /// Panics if `to` is not a node of this simulation: that is a bug in the sending model.
    pub fn send(&mut self, to: NodeId, msg: M) {
        let world = &mut *self.world;
        assert!(
            to.idx() < world.slots.len(),
            "{} sent to {to}, which does not exist",
            self.node
        );
        let now = world.now;
        let traced = world.trace.is_some();
        if to == self.node {
            if traced {
                let msg_id = world.queue.n_scheduled();
                world.trace_send(TracedSend {
                    from: to,
                    to,
                    msg: &msg,
                    msg_id,
                    arrive: now,
                    copy: false,
                });
            }
            world.schedule(now, Event::Deliver { from: to, to, msg });
            return;
        }
        world.metrics.add(builtin::NET_SENT, 1, now);
        let to_zone = world.zones[to.idx()];
        let slot = &mut world.slots[self.node.idx()];
        slot.sent += 1;
        let sender = SenderLink {
            zone: world.zones[self.node.idx()],
            egress_free_at: &mut slot.egress_free_at,
            rng: &mut slot.net_rng,
        };
        let size = msg.size_bytes();
        match world
            .network
            .route(now, self.node, to, to_zone, size, sender)
        {
            Route::Dropped(cause) => world.count_drop(cause, self.node, to, &msg, None),
            Route::Deliver { arrival, copy } => {
                let from = self.node;
                if let Some(copy_arrival) = copy {
                    world.metrics.add(builtin::NET_DUPLICATED, 1, now);
                    let msg_id = world.schedule(
                        copy_arrival,
                        Event::Deliver {
                            from,
                            to,
                            msg: msg.clone(),
                        },
                    );
                    if traced {
                        world.trace_send(TracedSend {
                            from,
                            to,
                            msg: &msg,
                            msg_id,
                            arrive: copy_arrival,
                            copy: true,
                        });
                    }
                }
                if traced {
                    // The delivery's sequence number is the next one issued.
                    let msg_id = world.queue.n_scheduled();
                    world.trace_send(TracedSend {
                        from,
                        to,
                        msg: &msg,
                        msg_id,
                        arrive: arrival,
                        copy: false,
                    });
                }
                world.schedule(arrival, Event::Deliver { from, to, msg });
            }
        }
    }

    /// Sets a timer that fires `delay` from now with `tag`, unless cancelled or the node
    /// crashes first.
    pub fn set_timer(&mut self, delay: SimDuration, tag: TimerTag) -> TimerId {
        let world = &mut *self.world;
        let time = world.now + delay;
        let incarnation = world.slots[self.node.idx()].incarnation;
        let event = Event::Timer {
            node: self.node,
            incarnation,
            tag,
        };
        let seq = world.schedule(time, event);
        TimerId { time, seq }
    }

    /// Cancels a pending timer. Returns whether it was still pending: a timer that already
    /// fired (or was cancelled) is left alone. O(1): events pop in `(time, seq)` order, so a
    /// timer whose key is not after the event being handled has fired; otherwise its
    /// sequence number is noted and the queue entry skipped when it pops.
    pub fn cancel(&mut self, timer: TimerId) -> bool {
        let world = &mut *self.world;
        if !world.queue.is_pending(timer.time, timer.seq) {
            return false;
        }
        world.cancelled_timers.insert(timer.seq)
    }

    /// This node's own random stream, independent of every other component's.
    pub fn rng(&mut self) -> &mut SimRng {
        &mut self.world.slots[self.node.idx()].rng
    }

    /// A fresh stream for part `part` of a model this node hosts (a cache policy's draws,
    /// say), apart from [`Ctx::rng`]: the same node, part and seed always give the same
    /// stream, and drawing from it leaves the node's own stream untouched. Call it once, when
    /// the model is built, and keep the stream.
    pub fn model_rng(&self, part: u32) -> SimRng {
        let label = self.world.slots[self.node.idx()].label;
        stream(
            self.world.seed,
            StreamLabel::of_node_part(StreamKind::NodeModel, label, part),
        )
    }

    /// This node's local clock: simulated time shifted by the clock-skew faults it suffered
    /// (a step offset plus drift). Never below zero.
    pub fn local_clock(&self) -> SimTime {
        self.world
            .clocks
            .get(&self.node)
            .map_or(self.world.now, |clock| clock.local(self.world.now))
    }

    /// Hands `item` to this node's service model: a free worker starts on it, or it queues.
    /// When it finishes, [`Node::on_work_done`](crate::Node::on_work_done) gets it back.
    ///
    /// Panics if `op` has no service time in the node's model (a bug in the calling model;
    /// scenarios validate operation kinds before running).
    pub fn submit_work(&mut self, op: OpKind, item: M) -> Admission<M> {
        let world = &mut *self.world;
        let now = world.now;
        let slot = &mut world.slots[self.node.idx()];
        let incarnation = slot.incarnation;
        let Some(state) = slot.service.as_deref_mut() else {
            return Admission::NoService(item);
        };
        let model = &world.service_models[state.model as usize];
        assert!(
            op.0 < model.n_ops(),
            "operation kind {} has no service time in model {:?}",
            op.0,
            model.name()
        );
        let overflow = model.overflow();
        let job = Job {
            op,
            item,
            submitted_at: now,
            started_at: now,
        };
        match state.submit(model, job) {
            Submit::Start(worker, duration) => {
                let node = self.node;
                world.schedule(
                    now + duration,
                    Event::WorkDone {
                        node,
                        incarnation,
                        worker,
                    },
                );
                Admission::Started
            }
            Submit::Queued => Admission::Queued,
            Submit::Full(job) => match overflow {
                Overflow::Reject => {
                    world.metrics.add(builtin::WORK_REJECTED, 1, now);
                    Admission::Rejected(job.item)
                }
                Overflow::Drop => {
                    world.metrics.add(builtin::WORK_DROPPED_QUEUE_FULL, 1, now);
                    Admission::Dropped
                }
            },
        }
    }

    /// Number of items waiting in this node's service queue (not counting those in service).
    pub fn queue_len(&self) -> usize {
        self.world.slots[self.node.idx()]
            .service
            .as_ref()
            .map_or(0, |s| s.queue.len())
    }

    /// The id of histogram `name`, registering it on first use. Look it up once (in
    /// `on_start`) and keep the id: recording by id is the fast path.
    pub fn histogram(&mut self, name: &str, unit: Unit) -> HistogramId {
        self.world.metrics.histogram(name, unit)
    }

    /// The id of counter `name`, registering it on first use.
    pub fn counter(&mut self, name: &str) -> CounterId {
        self.world.metrics.counter(name)
    }

    /// Marks a change of state in `lane` from now on (see
    /// [`Annotation`](crate::metrics::Annotation)): for rare events such as a new leader.
    pub fn annotate(&mut self, lane: &str, node: Option<NodeId>, label: String) {
        let at = self.world.now;
        self.world.metrics.annotate(crate::metrics::Annotation {
            lane: lane.to_string(),
            at,
            node,
            label,
        });
    }

    /// Records one sample (a latency in nanoseconds, a size) now.
    #[inline]
    pub fn record(&mut self, id: HistogramId, value: u64) {
        let now = self.world.now;
        self.world.metrics.record(id, value, now);
    }

    /// Adds `n` to a counter now.
    #[inline]
    pub fn count(&mut self, id: CounterId, n: u64) {
        let now = self.world.now;
        self.world.metrics.add(id, n, now);
    }

    /// The id of histogram `name` kept for the whole run only (see
    /// [`Metrics::histogram_whole_run`](crate::Metrics::histogram_whole_run)).
    pub fn histogram_whole_run(&mut self, name: &str, unit: Unit) -> HistogramId {
        self.world.metrics.histogram_whole_run(name, unit)
    }

    /// The id of outcome tally `name`, linked to the latency histogram of its successful
    /// requests (see [`Metrics::outcome_tally`](crate::Metrics::outcome_tally)).
    pub fn outcome_tally(
        &mut self,
        name: &str,
        latency: Option<HistogramId>,
        windowed: bool,
    ) -> OutcomeId {
        self.world.metrics.outcome_tally(name, latency, windowed)
    }

    /// One request issued now under tally `id`.
    #[inline]
    pub fn issue(&mut self, id: OutcomeId) {
        let now = self.world.now;
        self.world.metrics.issue(id, now);
    }

    /// One request of tally `id` ended now with `outcome`.
    #[inline]
    pub fn conclude(&mut self, id: OutcomeId, outcome: Outcome) {
        let now = self.world.now;
        self.world.metrics.conclude(id, outcome, now);
    }
}

/// What a crashing node may still do: count what its crash destroyed (unflushed writes,
/// requests it was holding), at the moment of the crash. It cannot send, set timers or draw.
pub struct CrashCtx<'a> {
    pub(crate) metrics: &'a mut crate::metrics::Metrics,
    pub(crate) now: SimTime,
}

impl CrashCtx<'_> {
    /// The time of the crash.
    pub fn now(&self) -> SimTime {
        self.now
    }

    /// The id of counter `name`, registering it on first use.
    pub fn counter(&mut self, name: &str) -> CounterId {
        self.metrics.counter(name)
    }

    /// Adds `n` to a counter at the time of the crash.
    pub fn count(&mut self, id: CounterId, n: u64) {
        self.metrics.add(id, n, self.now);
    }

    /// One request of tally `id` ended with `outcome` (usually [`Outcome::Lost`]) in the
    /// crash.
    pub fn conclude(&mut self, id: OutcomeId, outcome: Outcome) {
        self.metrics.conclude(id, outcome, self.now);
    }

    /// Marks a change of state in `lane` at the time of the crash (see
    /// [`Annotation`](crate::metrics::Annotation)).
    pub fn annotate(&mut self, lane: &str, node: Option<NodeId>, label: String) {
        self.metrics.annotate(crate::metrics::Annotation {
            lane: lane.to_string(),
            at: self.now,
            node,
            label,
        });
    }
}
