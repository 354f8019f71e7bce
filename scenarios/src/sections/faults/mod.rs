//! `[[fault]]` and `[[fault_process]]`: the failure timeline, one row per fault kind.
//!
//! Each `[[fault]]` has a time (`at`) and exactly one kind key, the name of a fault row
//! (`crash = "cache[2]"`), plus the parameters that row takes (`restart_after`, `duration`,
//! `detect_after`). This module checks that shape generically, with messages that name the
//! kinds and their parameters from the rows, and hands the kind's value and parameters to its
//! row's parser, which returns a [`FaultAction`]: an engine [`Fault`], a placement
//! membership change the runner applies, or both (a `fail`).
//!
//! **A new fault kind** is a parser in its own file in this folder (or the user's crate)
//! with a `pub(super) const` row, added to [`FAULT_KINDS`]. A kind the engine applies needs a
//! `Fault` variant and an apply/end pair in `sim_core` too; a model-level kind returns a
//! [`FaultAction::Membership`]-style change the runner applies between engine segments.

mod crash;
mod membership;
mod network;
mod node;
mod store;

use std::ops::Range;

use sim_core::registry::{Registry, Row};
use sim_core::{CrashProcess, Fault, NodeSet, RegionId, SimDuration, SimTime, Topology};
use toml::Spanned;

use crate::format::diag::{closest, suggest, Diagnostic, Source};
use crate::format::params::{deserialize, reparse, Entry};
use crate::format::schema::{FaultProcessSection, FaultSection, Selectors};
use crate::format::select::NodeDirectory;
use crate::format::units::parse_duration;

pub use membership::{MembershipChange, MembershipKind};
pub use store::Promotion;

/// What one `[[fault]]` entry does.
#[derive(Clone, Debug, PartialEq)]
pub enum FaultAction {
    /// An engine fault.
    Engine(Fault),
    /// A placement membership change, applied by the runner between engine segments.
    Membership(MembershipChange),
    /// A crash now and, `detect_after` later, the nodes' leave from their placement.
    Fail {
        /// The crash (an engine fault).
        crash: Fault,
        /// How long until the failure is noticed.
        detect_after: SimDuration,
        /// The leave.
        leave: MembershipChange,
    },
    /// A manual failover of a leader-follower store, applied by the runner.
    Promote(Promotion),
}

/// Parses one kind's value and parameters.
pub type ParseFault = fn(&FaultContext<'_>, &mut FaultArgs<'_>) -> Result<FaultAction, Diagnostic>;

/// What a fault row holds besides its key (the row's name) and parameters.
#[derive(Clone, Copy, Debug)]
pub struct FaultKind {
    /// The kinds the engine logs it as (`faults.fired.<kind>` and the fault log), which can
    /// differ from the key (`degrade` is logged as `link_degrade`).
    pub logged_as: &'static [&'static str],
    /// A hint for a `duration` given to a kind without one (how to undo it instead).
    pub no_duration_help: Option<&'static str>,
    /// Parses the entry.
    pub parse: ParseFault,
}

/// One fault kind's registry row: its name is the `[[fault]]` key.
pub type FaultRow = Row<FaultKind>;

/// Every built-in fault kind, in `distsim list` order.
pub const FAULT_KINDS: &[FaultRow] = &[
    crash::CRASH,
    crash::RESTART,
    network::PARTITION,
    network::ISOLATE,
    network::HEAL,
    network::DEGRADE,
    node::SLOW,
    node::CLOCK_SKEW,
    crash::REGION_OUTAGE,
    membership::JOIN,
    membership::LEAVE,
    membership::FAIL,
    store::PROMOTE,
];

/// The built-in fault kinds as a registry.
pub fn fault_kinds() -> Registry<FaultKind> {
    Registry::new("fault kind", FAULT_KINDS)
}

/// What a fault row's parser can resolve against.
pub struct FaultContext<'a> {
    /// The scenario text.
    pub source: &'a Source,
    /// Every node.
    pub directory: &'a NodeDirectory,
    /// Regions by index.
    pub topology: &'a Topology,
    /// The entry's position among the `[[fault]]`s (default partition names use it).
    pub index: usize,
    /// The whole entry's span.
    pub span: Range<usize>,
}

impl FaultContext<'_> {
    /// A duration written with its unit.
    pub fn duration(&self, text: &Spanned<String>) -> Result<SimDuration, Diagnostic> {
        parse_duration(text.get_ref())
            .map_err(|e| Diagnostic::error(self.source, text.span(), e.message))
    }

    /// The nodes `selectors` names.
    pub fn nodes(&self, selectors: &Spanned<Selectors>) -> Result<NodeSet, Diagnostic> {
        self.directory
            .select_all(selectors.get_ref().0.iter().map(String::as_str))
            .map_err(|e| {
                let d = Diagnostic::error(self.source, selectors.span(), e.message);
                match e.help {
                    Some(help) => d.with_help(help),
                    None => d,
                }
            })
    }

    /// A probability parameter, 0 when absent.
    pub fn probability(&self, value: &Option<Spanned<f64>>, what: &str) -> Result<f64, Diagnostic> {
        match value {
            None => Ok(0.0),
            Some(p) if (0.0..=1.0).contains(p.get_ref()) => Ok(*p.get_ref()),
            Some(p) => Err(Diagnostic::error(
                self.source,
                p.span(),
                format!(
                    "{what} must be a probability in [0, 1], got {}",
                    p.get_ref()
                ),
            )),
        }
    }

    /// The region called `name`.
    pub fn region(&self, name: &Spanned<String>) -> Result<RegionId, Diagnostic> {
        let names: Vec<&str> = (0..self.topology.n_regions())
            .map(|r| self.topology.region_name(RegionId(r)))
            .collect();
        names
            .iter()
            .position(|n| n == name.get_ref())
            .map(|i| RegionId(i as u16))
            .ok_or_else(|| {
                Diagnostic::error(
                    self.source,
                    name.span(),
                    format!("unknown region {:?}", name.get_ref()),
                )
                .with_help(suggest(name.get_ref(), names.iter().copied()))
            })
    }
}

/// One entry's kind value and parameters, handed to its row.
pub struct FaultArgs<'a> {
    source: &'a Source,
    value: Spanned<toml::Value>,
    params: Vec<Entry>,
}

impl FaultArgs<'_> {
    /// The kind's value (`"cache[2]"`, `{ from = ..., to = ... }`) as a `T`, with the spans
    /// of its parts (so an error about `factor` points at `factor`).
    pub fn value<T: serde::de::DeserializeOwned>(&self) -> Result<Spanned<T>, Diagnostic> {
        let span = self.value.span();
        reparse(self.source, span.clone()).map(|value| Spanned::new(span, value))
    }

    /// Where the kind's value is written.
    pub fn value_span(&self) -> Range<usize> {
        self.value.span()
    }

    /// Removes parameter `name` as a string.
    pub fn text(&mut self, name: &str) -> Result<Option<Spanned<String>>, Diagnostic> {
        let Some(position) = self.params.iter().position(|(k, _)| k.get_ref() == name) else {
            return Ok(None);
        };
        let (_, value) = self.params.remove(position);
        deserialize(self.source, name, value).map(Some)
    }
}

/// The keys a `[[fault]]` may have, in the order "expected one of" lists them: `at`,
/// `duration`, then each kind's key followed by its other parameters.
fn fault_keys(kinds: &Registry<FaultKind>) -> Vec<&'static str> {
    let mut keys = vec!["at", "duration"];
    for row in kinds.rows() {
        for name in std::iter::once(row.name).chain(row.params.iter().map(|p| p.name)) {
            if !keys.contains(&name) {
                keys.push(name);
            }
        }
    }
    keys
}

/// Parses the `[[fault]]` at `index`: when it fires and what it does.
pub fn parse_fault(
    context: &FaultContext<'_>,
    section: &Spanned<FaultSection>,
    kinds: &Registry<FaultKind>,
) -> Result<(SimTime, FaultAction), Diagnostic> {
    let source = context.source;
    let span = section.span();
    let fault = section.get_ref();
    let keys = fault_keys(kinds);
    // A key no kind knows, as serde would say it about a fixed struct.
    if let Some((key, _)) = fault.entries.iter().find(|(key, _)| {
        !keys.contains(&key.get_ref().as_str()) && kinds.find(key.get_ref()).is_none()
    }) {
        let listed: Vec<String> = keys.iter().map(|k| format!("`{k}`")).collect();
        let diagnostic = Diagnostic::error(
            source,
            key.span(),
            format!(
                "unknown field `{}`, expected one of {}",
                key.get_ref(),
                listed.join(", ")
            ),
        );
        return Err(match closest(key.get_ref(), keys.iter().copied()) {
            Some(best) => diagnostic.with_help(format!("did you mean `{best}`?")),
            None => diagnostic,
        });
    }
    let at = SimTime::ZERO + context.duration(&fault.at)?;
    let present: Vec<&FaultRow> = kinds
        .rows()
        .iter()
        .filter(|row| {
            fault
                .entries
                .iter()
                .any(|(key, _)| row.spellings().any(|s| s == key.get_ref()))
        })
        .collect();
    let row = match present.as_slice() {
        [one] => *one,
        [] => {
            let names: Vec<String> = kinds.names().map(|k| format!("`{k}`")).collect();
            return Err(
                Diagnostic::error(source, span, "this fault says when but not what")
                    .with_help(format!("add exactly one of {}", names.join(", "))),
            );
        }
        many => {
            let names: Vec<&str> = many.iter().map(|r| r.name).collect();
            return Err(Diagnostic::error(
                source,
                span,
                format!(
                    "one fault per [[fault]] entry, this one has {}",
                    names.join(" and ")
                ),
            )
            .with_help("split it into several [[fault]] entries"));
        }
    };
    let mut value = None;
    let mut params = Vec::new();
    for (key, entry) in &fault.entries {
        if row.spellings().any(|s| s == key.get_ref()) {
            value = Some(entry.clone());
        } else if row.param(key.get_ref()).is_some() {
            params.push((key.clone(), entry.clone()));
        } else if key.get_ref() == "duration" {
            let diagnostic = Diagnostic::error(
                source,
                entry.span(),
                format!("a `{}` fault has no duration", row.name),
            );
            return Err(match row.value.no_duration_help {
                Some(help) => diagnostic.with_help(help),
                None => diagnostic,
            });
        } else {
            let owners: Vec<String> = kinds
                .rows()
                .iter()
                .filter(|other| other.param(key.get_ref()).is_some())
                .map(|other| format!("`{}`", other.name))
                .collect();
            return Err(Diagnostic::error(
                source,
                entry.span(),
                format!("`{}` only goes with {}", key.get_ref(), owners.join(" or ")),
            ));
        }
    }
    let mut args = FaultArgs {
        source,
        value: value.expect("the kind's key is present"),
        params,
    };
    let action = (row.value.parse)(context, &mut args)?;
    debug_assert!(
        args.params.is_empty(),
        "a fault row reads every parameter it declares"
    );
    Ok((at, action))
}

/// The failure timeline: engine faults, placement membership changes (a `fail`'s leave comes
/// `detect_after` after its crash), and random crash processes.
#[derive(Debug, Default)]
pub struct Timeline {
    /// Engine faults, in file order.
    pub faults: Vec<(SimTime, Fault)>,
    /// Membership changes, in file order.
    pub changes: Vec<(SimTime, MembershipChange)>,
    /// Manual failovers of leader-follower stores, in file order.
    pub promotions: Vec<(SimTime, Promotion)>,
    /// `[[fault_process]]` crash processes.
    pub processes: Vec<CrashProcess>,
}

/// Every `[[fault]]` and `[[fault_process]]` of `file`; a fault after the run's end is a
/// warning (one at exactly the end still fires).
pub fn parse_timeline(
    source: &Source,
    file: &crate::format::schema::ScenarioFile,
    directory: &NodeDirectory,
    topology: &Topology,
    duration: SimDuration,
    kinds: &Registry<FaultKind>,
    warnings: &mut Vec<Diagnostic>,
) -> Result<Timeline, Diagnostic> {
    let mut timeline = Timeline::default();
    let mut actions = Vec::with_capacity(file.fault.len());
    for (index, section) in file.fault.iter().enumerate() {
        let context = FaultContext {
            source,
            directory,
            topology,
            index,
            span: section.span(),
        };
        let (at, action) = parse_fault(&context, section, kinds)?;
        if at.as_nanos() > duration.as_nanos() {
            warnings.push(Diagnostic::warning(
                source,
                at_span(section),
                format!(
                    "this fault fires at {}, after the run ends ({duration})",
                    SimDuration(at.as_nanos())
                ),
            ));
        }
        actions.push((at, action));
    }
    let only: Vec<FaultAction> = actions.iter().map(|(_, a)| a.clone()).collect();
    check_heals(source, &file.fault, &only, kinds)?;
    for (at, action) in actions {
        match action {
            FaultAction::Engine(fault) => timeline.faults.push((at, fault)),
            FaultAction::Membership(change) => timeline.changes.push((at, change)),
            FaultAction::Fail {
                crash,
                detect_after,
                leave,
            } => {
                timeline.faults.push((at, crash));
                timeline.changes.push((at + detect_after, leave));
            }
            FaultAction::Promote(promotion) => timeline.promotions.push((at, promotion)),
        }
    }
    let context = FaultContext {
        source,
        directory,
        topology,
        index: 0,
        span: 0..0,
    };
    for process in &file.fault_process {
        timeline.processes.push(parse_process(&context, process)?);
    }
    Ok(timeline)
}

/// The span of a fault's kind value (what its key names), for errors found after parsing.
pub fn kind_value_span(
    section: &Spanned<FaultSection>,
    kinds: &Registry<FaultKind>,
) -> Range<usize> {
    section
        .get_ref()
        .entries
        .iter()
        .find(|(key, _)| kinds.find(key.get_ref()).is_some())
        .map_or(section.span(), |(_, value)| value.span())
}

/// Checks that every named `heal` names a partition some fault creates.
pub fn check_heals(
    source: &Source,
    sections: &[Spanned<FaultSection>],
    actions: &[FaultAction],
    kinds: &Registry<FaultKind>,
) -> Result<(), Diagnostic> {
    let names: Vec<&str> = actions
        .iter()
        .filter_map(|action| match action {
            FaultAction::Engine(Fault::Partition { name, .. }) => Some(name.as_str()),
            _ => None,
        })
        .collect();
    for (section, action) in sections.iter().zip(actions) {
        if let FaultAction::Engine(Fault::Heal { name: Some(name) }) = action {
            if !names.contains(&name.as_str()) {
                let candidates = names.iter().copied().chain(["all"]);
                return Err(Diagnostic::error(
                    source,
                    kind_value_span(section, kinds),
                    format!("`heal` names partition {name:?}, but no [[fault]] creates a partition by that name"),
                )
                .with_help(suggest(name, candidates)));
            }
        }
    }
    Ok(())
}

/// The crash process a `[[fault_process]]` describes.
pub fn parse_process(
    context: &FaultContext<'_>,
    section: &Spanned<FaultProcessSection>,
) -> Result<CrashProcess, Diagnostic> {
    let process = section.get_ref();
    let mean = |text: &Spanned<String>, what: &str| -> Result<SimDuration, Diagnostic> {
        let value = context.duration(text)?;
        if value == SimDuration::ZERO {
            return Err(Diagnostic::error(
                context.source,
                text.span(),
                format!("{what} must be longer than 0"),
            ));
        }
        Ok(value)
    };
    Ok(CrashProcess {
        nodes: context.nodes(&process.nodes)?,
        mtbf: mean(&process.mtbf, "mtbf")?,
        mttr: mean(&process.mttr, "mttr")?,
    })
}

/// The span of a fault's `at`, for warnings about its timing.
pub fn at_span(section: &Spanned<FaultSection>) -> Range<usize> {
    section.get_ref().at.span()
}
