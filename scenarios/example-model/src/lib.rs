//! A model written outside distsim and used from scenario files by name: a token-ring mutex.
//!
//! This crate is the worked example of extending distsim from one's own crate. It adds one
//! role, `mutex`, and one metric table to distsim's built-in [`Registries`], and its binary
//! (`distsim-mutex`) is the whole `distsim` command line over those registries, so
//!
//! ```text
//! cargo run -p distsim-example-mutex -- run scenarios/example-model/mutex.toml
//! ```
//!
//! runs a scenario whose `[[group]]` says `role = "mutex"`, with every other feature (faults,
//! reports, checks, sweeps) as for any built-in role. A misspelt parameter gets the same
//! file:line:col diagnostic as a built-in role's, because its parser reads its parameters
//! through the same [`Params`] and distributions through the same registry.
//!
//! # The protocol
//!
//! Token-ring mutual exclusion (Le Lann, "Distributed systems: towards a formal approach",
//! IFIP Congress 1977): the group's nodes form a ring in index order and one token circulates;
//! a node enters its critical section only while it holds the token. Each node wants the
//! section after a `think` time drawn from its own stream, holds it for `hold`, and passes the
//! token on. Node 0 watches the ring: a token that has not come back within `lap_timeout` is
//! taken as lost (a crashed holder, a dropped message) and regenerated with a higher epoch;
//! a token with an epoch below the highest a node has seen is stale and dropped.
//!
//! It records `mutex.wait` (from wanting the section to entering it), `mutex.entries`,
//! `mutex.regenerations` and `mutex.stale_tokens`, with their units and directions declared
//! in [`METRICS`].
//!
//! **Limitations:** node 0 is the only one that regenerates, so a crash of node 0 stops the
//! ring until it restarts; the highest epoch seen survives a crash (durable), nothing else
//! does; a regenerated token can coexist with a slow old one for up to one hop.

use models::msg::{CustomMsg, Msg};
use scenarios::format::diag::Diagnostic;
use scenarios::format::params::Params;
use scenarios::format::quantity::Dimension;
use scenarios::format::schema::DistSpec;
use scenarios::sections::distributions::dist_at;
use scenarios::sections::roles::{
    RoleBuilder, RoleContext, RoleRow, RoleSpec, RunContext, ServiceUse,
};
use scenarios::Registries;
use sim_core::metrics::Direction;
use sim_core::registry::{Param, Row};
use sim_core::{
    CounterId, CrashCtx, Ctx, Distribution, HistogramId, MetricDecl, MetricTable, Node, NodeId,
    SimDuration, SimTime, TimerId, TimerTag, Unit,
};

/// The kind number of a token message.
const TOKEN: u16 = 1;
/// Timer tags.
const TAG_WANT: u64 = 1;
const TAG_RELEASE: u64 = 2;
const TAG_LAP: u64 = 3;
/// 20 ms: the default lap timeout, about a hundred one-way hops of a same-zone network
/// (220 us each; docs/reference-numbers.md 2a), so a healthy ring of tens of nodes never
/// trips it.
const LAP_TIMEOUT_DEFAULT: SimDuration = SimDuration::from_millis(20);

/// What the mutex nodes record.
pub const METRICS: MetricTable = MetricTable {
    recorded: &[
        MetricDecl::histogram(
            "mutex.wait",
            Unit::Nanoseconds,
            Direction::HigherIsWorse,
            Direction::LowerIsWorse,
            "time from wanting the critical section to entering it; its count is the entries",
        ),
        MetricDecl::counter(
            "mutex.entries",
            Direction::LowerIsWorse,
            "critical sections entered",
        ),
        MetricDecl::counter(
            "mutex.regenerations",
            Direction::HigherIsWorse,
            "tokens node 0 regenerated after a lap timed out",
        ),
        MetricDecl::counter(
            "mutex.stale_tokens",
            Direction::Neutral,
            "tokens of an old epoch dropped",
        ),
    ],
    derived: &[],
    curves: &[],
};

/// The `mutex` role's registry row.
pub const ROLE: RoleRow = Row {
    name: "mutex",
    aliases: &["token_ring"],
    description: "token-ring mutual exclusion over the group's nodes (an out-of-tree example)",
    params: &[
        Param::required(
            "think",
            "a distribution of durations: time between leaving the critical section and wanting it again",
        ),
        Param::required("hold", "how long a node keeps the critical section, e.g. \"2ms\""),
        Param::optional(
            "lap_timeout",
            "\"20ms\"",
            "node 0 regenerates the token when it has not come back for this long",
        ),
    ],
    value: RoleSpec {
        histograms: &["mutex.wait"],
        service: ServiceUse::None,
        serves_requests: false,
        parse: parse_mutex,
    },
};

/// distsim's built-in registries with the `mutex` role and its metric table added.
pub fn registries() -> Registries {
    let mut registries = Registries::builtin();
    registries
        .roles
        .add(ROLE)
        .expect("`mutex` is not a built-in role name");
    registries
        .metrics
        .add(Row {
            name: "mutex",
            aliases: &[],
            description: "token-ring mutex waits, entries and regenerated tokens",
            params: &[],
            value: METRICS,
        })
        .expect("`mutex` is not a built-in metric table");
    registries
}

/// The role's validated parameters.
#[derive(Clone, Debug)]
struct MutexConfig {
    think: Distribution,
    hold: SimDuration,
    lap_timeout: SimDuration,
    /// The group's first node id and size: the ring.
    first: u32,
    n: u32,
}

fn parse_mutex(
    context: &RoleContext<'_>,
    params: &mut Params<'_>,
) -> Result<Box<dyn RoleBuilder>, Diagnostic> {
    let think = params.require::<DistSpec>("think")?;
    let think = dist_at(
        context.source,
        &think,
        Dimension::Duration,
        &context.vocabulary.distributions,
    )?;
    let hold = params.require_positive_duration("hold")?;
    let lap_timeout = params
        .take_positive_duration("lap_timeout")?
        .unwrap_or(LAP_TIMEOUT_DEFAULT);
    let name = context.group.name.get_ref();
    let range = &context.directory.groups[name];
    Ok(Box::new(MutexBuilder(MutexConfig {
        think,
        hold,
        lap_timeout,
        first: range.first,
        n: range.count,
    })))
}

struct MutexBuilder(MutexConfig);

impl RoleBuilder for MutexBuilder {
    fn build_node(&self, index: u32, _: &RunContext<'_>) -> Box<dyn Node<Msg = Msg>> {
        Box::new(MutexNode::new(self.0.clone(), index))
    }
}

#[derive(Clone, Copy)]
struct Metrics {
    wait: HistogramId,
    entries: CounterId,
    regenerations: CounterId,
    stale: CounterId,
}

/// One node of the ring.
struct MutexNode {
    config: MutexConfig,
    index: u32,
    /// The highest token epoch seen (durable across a crash).
    epoch: u64,
    holding: bool,
    in_section: bool,
    wanting_since: Option<SimTime>,
    lap: Option<TimerId>,
    metrics: Option<Metrics>,
}

impl MutexNode {
    fn new(config: MutexConfig, index: u32) -> Self {
        MutexNode {
            config,
            index,
            epoch: 0,
            holding: false,
            in_section: false,
            wanting_since: None,
            lap: None,
            metrics: None,
        }
    }

    fn metrics(&self) -> Metrics {
        self.metrics.expect("registered in on_start")
    }

    fn next(&self) -> NodeId {
        NodeId(self.config.first + (self.index + 1) % self.config.n)
    }

    fn token(epoch: u64) -> Msg {
        Msg::Custom(CustomMsg {
            kind: TOKEN,
            words: [epoch, 0, 0],
            payload_bytes: 8,
        })
    }

    fn schedule_want(&mut self, ctx: &mut Ctx<'_, Msg>) {
        let think = self.config.think.sample_duration(ctx.rng());
        ctx.set_timer(think, TimerTag(TAG_WANT));
    }

    /// Node 0 (re)arms the watch on the token's lap.
    fn watch_lap(&mut self, ctx: &mut Ctx<'_, Msg>) {
        if self.index != 0 {
            return;
        }
        if let Some(timer) = self.lap.take() {
            ctx.cancel(timer);
        }
        self.lap = Some(ctx.set_timer(self.config.lap_timeout, TimerTag(TAG_LAP)));
    }

    /// With the token: enter the section if wanted, else pass it on.
    fn use_token(&mut self, ctx: &mut Ctx<'_, Msg>) {
        assert!(
            self.holding && !self.in_section,
            "using a token one holds, outside the section"
        );
        match self.wanting_since.take() {
            Some(since) => {
                let metrics = self.metrics();
                ctx.record(metrics.wait, (ctx.now() - since).as_nanos());
                ctx.count(metrics.entries, 1);
                self.in_section = true;
                ctx.set_timer(self.config.hold, TimerTag(TAG_RELEASE));
            }
            None => self.pass(ctx),
        }
    }

    fn pass(&mut self, ctx: &mut Ctx<'_, Msg>) {
        self.holding = false;
        if self.config.n == 1 {
            // A ring of one keeps the token; it comes "back" at once.
            self.holding = true;
            self.watch_lap(ctx);
            return;
        }
        ctx.send(self.next(), Self::token(self.epoch));
    }
}

impl Node for MutexNode {
    type Msg = Msg;

    fn on_start(&mut self, ctx: &mut Ctx<'_, Msg>) {
        self.metrics = Some(Metrics {
            wait: ctx.histogram("mutex.wait", Unit::Nanoseconds),
            entries: ctx.counter("mutex.entries"),
            regenerations: ctx.counter("mutex.regenerations"),
            stale: ctx.counter("mutex.stale_tokens"),
        });
        self.schedule_want(ctx);
        if self.index == 0 {
            // The first token of this incarnation outranks any from before a crash.
            self.epoch += 1;
            self.holding = true;
            self.watch_lap(ctx);
            self.use_token(ctx);
        }
    }

    fn on_message(&mut self, ctx: &mut Ctx<'_, Msg>, _: NodeId, msg: Msg) {
        let Msg::Custom(CustomMsg {
            kind: TOKEN, words, ..
        }) = msg
        else {
            return; // Not this protocol's.
        };
        let epoch = words[0];
        if epoch < self.epoch || self.holding {
            // An old token, or a second one while holding (a duplicate, or a regenerated
            // token meeting a slow old one): drop it, remembering the highest epoch.
            self.epoch = self.epoch.max(epoch);
            ctx.count(self.metrics().stale, 1);
            return;
        }
        self.epoch = epoch;
        self.holding = true;
        self.watch_lap(ctx);
        self.use_token(ctx);
    }

    fn on_timer(&mut self, ctx: &mut Ctx<'_, Msg>, tag: TimerTag) {
        match tag.0 {
            TAG_WANT => {
                self.wanting_since.get_or_insert(ctx.now());
                if self.holding && !self.in_section {
                    self.use_token(ctx);
                }
            }
            TAG_RELEASE => {
                self.in_section = false;
                self.schedule_want(ctx);
                self.pass(ctx);
            }
            TAG_LAP => {
                self.lap = None;
                if self.holding {
                    self.watch_lap(ctx); // Busy in the section: not lost.
                    return;
                }
                // Lost: regenerate with an epoch above every token that may still exist.
                self.epoch += 1;
                ctx.count(self.metrics().regenerations, 1);
                self.holding = true;
                self.watch_lap(ctx);
                self.use_token(ctx);
            }
            other => unreachable!("mutex timer tag {other}"),
        }
    }

    fn on_crash(&mut self, _: &mut CrashCtx<'_>) {
        // Volatile: the token, the section, the wish and the watch; the epoch is durable.
        self.holding = false;
        self.in_section = false;
        self.wanting_since = None;
        self.lap = None;
    }

    fn check_invariants(&self) {
        assert!(
            !self.in_section || self.holding,
            "in the section without the token"
        );
        assert!(self.index < self.config.n, "a node of its ring");
    }
}
