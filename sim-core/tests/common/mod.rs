//! A scripted node for engine tests: it sends what its script says, when it says, and records
//! everything it receives, so a test can assert on what the engine delivered.

#![allow(dead_code)] // Each test binary uses a different part of this helper.

use sim_core::{CompletedWork, Ctx, Message, Node, NodeId, OpKind, SimDuration, SimTime, TimerTag};

/// A test message: a payload number and a size.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Note {
    pub payload: u64,
    pub size: u64,
}

impl Message for Note {
    fn size_bytes(&self) -> u64 {
        self.size
    }
}

/// One scripted action.
#[derive(Clone, Debug)]
pub enum Action {
    /// Send `payload` of `size` bytes to a node.
    Send { to: NodeId, payload: u64, size: u64 },
    /// Submit work of kind 0 with this payload.
    Work { payload: u64 },
}

/// Sends per its script (times relative to its start), records receipts and finished work.
#[derive(Default)]
pub struct Scripted {
    pub script: Vec<(SimDuration, Action)>,
    pub received: Vec<(SimTime, NodeId, u64)>,
    pub finished: Vec<(SimTime, u64, SimTime, SimTime)>,
    pub timers_fired: u64,
    pub crashes: u64,
    pub restarts: u64,
    pub local_clock_at_receipt: Vec<SimTime>,
}

impl Scripted {
    pub fn with_script(script: Vec<(SimDuration, Action)>) -> Self {
        Scripted {
            script,
            ..Default::default()
        }
    }

    pub fn payloads(&self) -> Vec<u64> {
        self.received.iter().map(|r| r.2).collect()
    }
}

impl Node for Scripted {
    type Msg = Note;

    fn on_start(&mut self, ctx: &mut Ctx<'_, Note>) {
        for (i, (delay, _)) in self.script.iter().enumerate() {
            ctx.set_timer(*delay, TimerTag(i as u64));
        }
    }

    fn on_message(&mut self, ctx: &mut Ctx<'_, Note>, from: NodeId, msg: Note) {
        self.received.push((ctx.now(), from, msg.payload));
        self.local_clock_at_receipt.push(ctx.local_clock());
    }

    fn on_timer(&mut self, ctx: &mut Ctx<'_, Note>, tag: TimerTag) {
        self.timers_fired += 1;
        match self.script[tag.0 as usize].1.clone() {
            Action::Send { to, payload, size } => ctx.send(to, Note { payload, size }),
            Action::Work { payload } => {
                let _ = ctx.submit_work(OpKind(0), Note { payload, size: 0 });
            }
        }
    }

    fn on_work_done(&mut self, ctx: &mut Ctx<'_, Note>, work: CompletedWork<Note>) {
        self.finished.push((
            ctx.now(),
            work.item.payload,
            work.submitted_at,
            work.started_at,
        ));
    }

    fn on_crash(&mut self, _: &mut sim_core::CrashCtx<'_>) {
        self.crashes += 1;
    }

    fn on_restart(&mut self, _: &mut Ctx<'_, Note>) {
        // Deliberately does not re-run the script: restarts are observed, not replayed.
        self.restarts += 1;
    }
}

/// `n` milliseconds.
pub fn ms(n: u64) -> SimDuration {
    SimDuration::from_millis(n)
}

/// Time `n` milliseconds after the start.
pub fn at_ms(n: u64) -> SimTime {
    SimTime::ZERO + ms(n)
}

/// A send action.
pub fn send(to: u32, payload: u64) -> Action {
    Action::Send {
        to: NodeId(to),
        payload,
        size: 100,
    }
}
