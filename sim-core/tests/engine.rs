//! The run loop: timers and cancellation, run modes, guards, observers, and heterogeneous
//! nodes in one simulation.

mod common;

use std::ops::ControlFlow;

use common::{at_ms, ms, send, Note, Scripted};
use sim_core::{
    Ctx, Distribution, NetworkConfig, Node, NodeId, RunError, RunLimits, SimConfig, SimDuration,
    SimTime, Simulation, StopReason, TimerId, TimerTag,
};

/// Sets timers at 10, 20 and 30 ms, cancels the 20 ms one at 5 ms, and tries a stale cancel.
#[derive(Default)]
struct Canceller {
    timers: Vec<TimerId>,
    fired: Vec<(SimTime, u64)>,
    stale_cancel_result: Option<bool>,
}

impl Node for Canceller {
    type Msg = Note;
    fn on_start(&mut self, ctx: &mut Ctx<'_, Note>) {
        for (i, delay) in [10, 20, 30, 5].into_iter().enumerate() {
            self.timers
                .push(ctx.set_timer(ms(delay), TimerTag(i as u64)));
        }
    }
    fn on_message(&mut self, _: &mut Ctx<'_, Note>, _: NodeId, _: Note) {}
    fn on_timer(&mut self, ctx: &mut Ctx<'_, Note>, tag: TimerTag) {
        self.fired.push((ctx.now(), tag.0));
        if tag.0 == 3 {
            assert!(ctx.cancel(self.timers[1]), "pending timer cancels");
            assert!(!ctx.cancel(self.timers[1]), "second cancel is a no-op");
        }
        if tag.0 == 0 {
            // Timer 3 already fired: its handle is stale, and must not cancel a reused slot.
            let reused = ctx.set_timer(ms(1), TimerTag(9));
            self.stale_cancel_result = Some(ctx.cancel(self.timers[3]));
            self.timers.push(reused);
        }
    }
}

// Goal: a cancelled timer never fires; a stale handle cancels nothing (generations).
#[test]
fn cancelled_timers_do_not_fire() {
    let mut sim = Simulation::new(SimConfig::with_seed(1));
    let node = sim.add_node(Canceller::default());
    sim.run_until_idle().unwrap();
    let canceller = sim.node(node);
    assert_eq!(
        canceller.fired,
        vec![
            (at_ms(5), 3),
            (at_ms(10), 0),
            (at_ms(11), 9),
            (at_ms(30), 2)
        ]
    );
    assert_eq!(canceller.stale_cancel_result, Some(false));
}

// Goal: run_until stops at the end time (events after it stay pending) and sets the clock;
// run_until_idle reports NoEvents.
#[test]
fn run_modes_stop_where_asked() {
    let script = vec![(ms(10), send(1, 1)), (ms(50), send(1, 2))];
    let mut sim = Simulation::new(SimConfig::with_seed(1));
    sim.add_node(Scripted::with_script(script));
    sim.add_node(Scripted::default());
    sim.set_network(NetworkConfig::new(Distribution::constant(1e6).unwrap()))
        .unwrap();
    let summary = sim.run_until(at_ms(20)).unwrap();
    assert_eq!(
        (summary.reason, summary.end, sim.now()),
        (StopReason::ReachedTime, at_ms(20), at_ms(20))
    );
    assert_eq!(sim.node(NodeId(1)).payloads(), vec![1]);
    assert_eq!(sim.pending(), 1);
    let summary = sim.run_until_idle().unwrap();
    assert_eq!(summary.reason, StopReason::NoEvents);
    assert_eq!(sim.node(NodeId(1)).payloads(), vec![1, 2]);
}

/// Re-arms a timer forever: without a guard this run never ends.
struct Forever {
    fan_out: u64,
}
impl Node for Forever {
    type Msg = Note;
    fn on_start(&mut self, ctx: &mut Ctx<'_, Note>) {
        ctx.set_timer(SimDuration(1), TimerTag(0));
    }
    fn on_message(&mut self, _: &mut Ctx<'_, Note>, _: NodeId, _: Note) {}
    fn on_timer(&mut self, ctx: &mut Ctx<'_, Note>, _: TimerTag) {
        for _ in 0..self.fan_out {
            ctx.set_timer(SimDuration(1), TimerTag(0));
        }
    }
}

// Goal: the max_events guard stops a runaway run with an error naming the guard, and the
// results so far stay available.
#[test]
fn max_events_guard_stops_cleanly() {
    let mut config = SimConfig::with_seed(1);
    config.limits = RunLimits {
        max_events: 1_000,
        ..RunLimits::default()
    };
    let mut sim = Simulation::new(config);
    sim.add_node(Forever { fan_out: 1 });
    let error = sim.run_until_idle().unwrap_err();
    assert!(matches!(
        error,
        RunError::MaxEvents {
            max_events: 1_000,
            events: 1_000,
            ..
        }
    ));
    assert!(
        error.to_string().contains("max_events guard (1000)"),
        "{error}"
    );
    assert_eq!(sim.events_processed(), 1_000);
    assert!(sim.now() > SimTime::ZERO);
}

// Goal: the max_pending guard catches a timer storm before it fills memory.
#[test]
fn max_pending_guard_catches_storms() {
    let mut config = SimConfig::with_seed(1);
    config.limits = RunLimits {
        max_pending: 10_000,
        ..RunLimits::default()
    };
    let mut sim = Simulation::new(config);
    sim.add_node(Forever { fan_out: 2 });
    let error = sim.run_until_idle().unwrap_err();
    assert!(
        matches!(
            error,
            RunError::MaxPending {
                max_pending: 10_000,
                ..
            }
        ),
        "{error}"
    );
    assert!(error.to_string().contains("runaway"), "{error}");
}

// Goal: an observer sees progress and can interrupt the run.
#[test]
fn observer_can_interrupt() {
    let mut sim = Simulation::new(SimConfig::with_seed(1));
    sim.add_node(Forever { fan_out: 1 });
    let mut calls = 0;
    let error = sim
        .run_observed(SimTime::MAX, |progress| {
            calls += 1;
            assert!(progress.events > 0);
            if calls == 3 {
                ControlFlow::Break("wall-time limit".to_string())
            } else {
                ControlFlow::Continue(())
            }
        })
        .unwrap_err();
    assert_eq!(calls, 3);
    assert!(
        matches!(
            error,
            RunError::Interrupted {
                events: 196_608,
                ..
            }
        ),
        "{error}"
    );
}

/// A second node type, to show heterogeneous nodes through `Box<dyn Node>`.
struct Counter {
    seen: u64,
}
impl Node for Counter {
    type Msg = Note;
    fn on_message(&mut self, _: &mut Ctx<'_, Note>, _: NodeId, _: Note) {
        self.seen += 1;
    }
}

// Goal: different node types share one simulation when boxed.
#[test]
fn heterogeneous_nodes_in_one_simulation() {
    let mut sim: Simulation<Box<dyn Node<Msg = Note>>> = Simulation::new(SimConfig::with_seed(1));
    sim.add_node(Box::new(Scripted::with_script(vec![
        (ms(1), send(1, 5)),
        (ms(2), send(1, 6)),
    ])));
    sim.add_node(Box::new(Counter { seen: 0 }));
    sim.run_until_idle().unwrap();
    assert_eq!(sim.metrics().counter_by_name("net.delivered"), 2);
    assert_eq!(sim.node_stats(NodeId(1)).received, 2);
}

/// A node that breaks its own invariant (`ticks <= limit`) at its fourth timer.
struct Breaks {
    ticks: u32,
    limit: u32,
}

impl Node for Breaks {
    type Msg = Note;

    fn on_start(&mut self, ctx: &mut Ctx<'_, Note>) {
        ctx.set_timer(ms(1), TimerTag(0));
    }

    fn on_message(&mut self, _: &mut Ctx<'_, Note>, _: NodeId, _: Note) {}

    fn on_timer(&mut self, ctx: &mut Ctx<'_, Note>, _: TimerTag) {
        self.ticks += 1;
        if self.ticks < 10 {
            ctx.set_timer(ms(1), TimerTag(0));
        }
    }

    fn check_invariants(&self) {
        assert!(
            self.ticks <= self.limit,
            "ticks {} above {}",
            self.ticks,
            self.limit
        );
    }
}

// Goal: paranoid mode runs every node's invariant checks every N events and stops at the
// violation; without it the same run completes. Method: a node breaks its invariant at its
// fourth timer (event 4 of 10); checks every event catch it at 4 ms, checks every 20 events
// never run, and no checks at all let the run finish at 10 ms.
#[test]
fn paranoid_mode_catches_a_broken_node_invariant() {
    let run = |every: Option<u64>| {
        let mut sim: Simulation<Breaks> = Simulation::new(SimConfig::with_seed(1));
        sim.add_node(Breaks { ticks: 0, limit: 3 });
        sim.set_paranoid(every.and_then(std::num::NonZeroU64::new));
        sim.run_until_idle().map(|_| sim.now())
    };
    assert_eq!(run(None).unwrap(), SimTime::ZERO + ms(10));
    assert_eq!(run(Some(20)).unwrap(), SimTime::ZERO + ms(10));
    let caught = std::panic::catch_unwind(|| run(Some(1))).expect_err("the check fires");
    let message = caught.downcast_ref::<String>().cloned().unwrap_or_default();
    assert!(message.contains("ticks 4 above 3"), "{message}");
}
