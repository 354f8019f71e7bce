//! Gossip heartbeat tables (van Renesse, Minsky, Hayden, Middleware 1998): every period a
//! member bumps its own heartbeat counter and sends its whole table (a counter per member)
//! to one member drawn uniformly; the receiver keeps the larger of each pair and notes when
//! a counter last grew. A member whose counter has not grown for `fail` is declared dead, at
//! the period boundary that notices (the paper checks on each gossip); one whose counter
//! grows again is alive again.
//!
//! A table travels by id in the run's board (so messages stay plain data) and costs
//! [`TABLE_ENTRY_BYTES`](crate::msg::TABLE_ENTRY_BYTES) per member on the wire: the load
//! grows with the group, which is the protocol's known limit.
//!
//! **Crashes:** the table is volatile: a restarted member starts from zeros, with every
//! counter fresh as of its restart, and learns the others' from the next tables it gets.

use std::sync::Arc;

use rand::Rng;
use sim_core::{CrashCtx, Ctx, Node, NodeId, SimDuration, TimerTag};

use super::{first_offset, Conclusions, MembershipConfig};
use crate::gossip::membership::detection::SharedMembership;
use crate::gossip::membership::{Detector, TablesSpec};
use crate::msg::{MemberKind, MemberMsg, Msg};

/// One member of a gossip heartbeat group.
#[derive(Debug)]
pub struct TablesNode {
    config: Arc<MembershipConfig>,
    spec: TablesSpec,
    conclusions: Conclusions,
    index: u32,
    counters: Vec<u32>,
    /// When each counter last grew (ns).
    grew: Vec<u64>,
    dead: Vec<bool>,
    /// In the group (it gossips and judges).
    joined: bool,
}

impl TablesNode {
    /// Member `index` of the group `config` describes (gossip heartbeat tables), reporting
    /// to `shared`.
    pub fn new(config: Arc<MembershipConfig>, shared: SharedMembership, index: u32) -> Self {
        let Detector::Tables(spec) = config.detector else {
            panic!("a heartbeat-table member needs the tables detector");
        };
        TablesNode {
            spec,
            conclusions: Conclusions::new(shared),
            index,
            counters: Vec::new(),
            grew: Vec::new(),
            dead: Vec::new(),
            joined: index < config.initial,
            config,
        }
    }

    /// A fresh table at `now`; at the start, members not in the group from the start are
    /// held dead without a verdict until their counters grow.
    fn reset(&mut self, now: u64, start: bool) {
        let n = self.config.members as usize;
        let expected = if start {
            self.config.initial as usize
        } else {
            n
        };
        self.counters = vec![0; n];
        self.grew = vec![now; n];
        self.dead = (0..n).map(|m| m >= expected).collect();
    }

    /// Joins or leaves as the scenario now wants (`join` and `leave` faults): a joiner
    /// starts a fresh table, every counter judged from the join.
    fn follow_intent(&mut self, now: u64) {
        let wanted = self.conclusions.wanted(self.index, self.joined, now);
        if wanted && !self.joined {
            self.reset(now, false);
        }
        self.joined = wanted;
    }

    /// A period: bump, gossip to one member, and declare the members whose counters are
    /// stale.
    fn round(&mut self, ctx: &mut Ctx<'_, Msg>) {
        let now = ctx.now().as_nanos();
        self.follow_intent(now);
        if !self.joined {
            ctx.set_timer(self.spec.period, TimerTag(0));
            return;
        }
        let me = self.index as usize;
        self.counters[me] = self.counters[me].wrapping_add(1);
        self.grew[me] = now;
        let n = self.config.members;
        if n > 1 {
            let mut peer = ctx.rng().random_range(0..n - 1);
            if peer >= self.index {
                peer += 1;
            }
            let shared = self.conclusions.shared.clone();
            let id = shared.lock().tables.deposit(self.counters.clone(), now);
            let msg = MemberMsg {
                kind: MemberKind::Table,
                updates: 0,
                seq: self.counters[me],
                about: self.index,
                at: id,
                table: n,
            };
            self.conclusions.send(ctx, self.config.node(peer), msg);
        }
        let fail = self.spec.fail.as_nanos();
        let stale: Vec<u32> = (0..n)
            .filter(|&m| {
                m != self.index
                    && !self.dead[m as usize]
                    && now.saturating_sub(self.grew[m as usize]) >= fail
            })
            .collect();
        if !stale.is_empty() {
            let shared = self.conclusions.shared.clone();
            let mut run = shared.lock();
            for member in stale {
                self.dead[member as usize] = true;
                let since = self.grew[member as usize];
                self.conclusions.declared(&mut run, ctx, member, since);
            }
        }
        ctx.set_timer(self.spec.period, TimerTag(0));
    }

    fn merge(&mut self, now: u64, theirs: &[u32]) {
        for (m, (&count, mine)) in theirs.iter().zip(self.counters.iter_mut()).enumerate() {
            if count > *mine {
                *mine = count;
                self.grew[m] = now;
                self.dead[m] = false;
            }
        }
    }
}

impl Node for TablesNode {
    type Msg = Msg;

    fn on_start(&mut self, ctx: &mut Ctx<'_, Msg>) {
        self.conclusions.start(ctx);
        self.reset(ctx.now().as_nanos(), true);
        let offset = first_offset(ctx, &self.config);
        ctx.set_timer(offset, TimerTag(0));
    }

    fn on_crash(&mut self, ctx: &mut CrashCtx<'_>) {
        self.conclusions.crashed(ctx, self.index);
    }

    fn on_restart(&mut self, ctx: &mut Ctx<'_, Msg>) {
        self.conclusions.restarted(ctx, self.index);
        self.reset(ctx.now().as_nanos(), false);
        ctx.set_timer(SimDuration::ZERO, TimerTag(0));
    }

    fn on_timer(&mut self, ctx: &mut Ctx<'_, Msg>, _: TimerTag) {
        self.round(ctx);
    }

    fn on_message(&mut self, ctx: &mut Ctx<'_, Msg>, from: NodeId, msg: Msg) {
        let Msg::Member(msg) = msg else { return };
        if msg.kind != MemberKind::Table || self.config.index_of(from).is_none() || !self.joined {
            return;
        }
        let table = self.conclusions.shared.lock().tables.take(msg.at);
        if let Some(theirs) = table {
            self.merge(ctx.now().as_nanos(), &theirs);
        }
    }
}
