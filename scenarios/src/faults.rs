//! `[[fault]]` and `[[fault_process]]` sections to engine faults.
//!
//! Each `[[fault]]` has a time and exactly one kind key; this module checks that, resolves the
//! selectors, parses the durations, and says precisely what is missing or extra.

use std::ops::Range;

use sim_core::{CrashProcess, Direction, Fault, RegionId, SimDuration, SimTime, Topology};
use toml::Spanned;

use crate::diag::{suggest, Diagnostic, Source};
use crate::schema::{FaultProcessSection, FaultSection, Selectors, FAULT_KIND_KEYS};
use crate::select::NodeDirectory;
use crate::units::parse_duration;

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
}

/// Whether nodes join or leave their placement.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MembershipKind {
    /// Nodes join.
    Join,
    /// Nodes leave (or failed and were detected).
    Leave,
}

impl MembershipKind {
    /// `join` or `leave`, as logged.
    pub fn name(self) -> &'static str {
        match self {
            MembershipKind::Join => "join",
            MembershipKind::Leave => "leave",
        }
    }
}

/// Nodes joining or leaving, as a `[[fault]]` entry names them.
#[derive(Clone, Debug, PartialEq)]
pub struct MembershipChange {
    /// Join or leave.
    pub kind: MembershipKind,
    /// The entry's key (`join`, `leave` or `fail`), for errors.
    pub entry: &'static str,
    /// Which nodes.
    pub nodes: sim_core::NodeSet,
    /// Where the nodes are named, for errors.
    pub span: Range<usize>,
}

/// Resolves fault sections against the scenario's nodes and regions.
pub struct FaultParser<'a> {
    /// The scenario text.
    pub source: &'a Source,
    /// Every node.
    pub directory: &'a NodeDirectory,
    /// Regions by index.
    pub topology: &'a Topology,
    /// The names a `heal` may use: every partition's and isolation's (see [`partition_names`]).
    pub partitions: &'a [String],
}

/// The name of every partition the fault sections create, in file order: a partition's
/// `name` (default `partition-<index>`) and `isolate-<index>` for an isolation.
pub fn partition_names(sections: &[Spanned<FaultSection>]) -> Vec<String> {
    sections
        .iter()
        .enumerate()
        .filter_map(|(index, section)| {
            let fault = section.get_ref();
            match (&fault.partition, &fault.isolate) {
                (Some(spec), _) => Some(
                    spec.get_ref()
                        .name
                        .clone()
                        .unwrap_or_else(|| format!("partition-{index}")),
                ),
                (None, Some(_)) => Some(format!("isolate-{index}")),
                (None, None) => None,
            }
        })
        .collect()
}

impl FaultParser<'_> {
    fn duration(&self, text: &Spanned<String>) -> Result<SimDuration, Diagnostic> {
        parse_duration(text.get_ref())
            .map_err(|e| Diagnostic::error(self.source, text.span(), e.message))
    }

    fn nodes(&self, selectors: &Spanned<Selectors>) -> Result<sim_core::NodeSet, Diagnostic> {
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

    fn probability(&self, value: &Option<Spanned<f64>>, what: &str) -> Result<f64, Diagnostic> {
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

    /// What a section does, and when.
    pub fn parse(
        &self,
        index: usize,
        section: &Spanned<FaultSection>,
    ) -> Result<(SimTime, FaultAction), Diagnostic> {
        let span = section.span();
        let fault = section.get_ref();
        let at = SimTime::ZERO + self.duration(&fault.at)?;
        let kinds: Vec<&str> = [
            fault.crash.is_some(),
            fault.restart.is_some(),
            fault.partition.is_some(),
            fault.isolate.is_some(),
            fault.heal.is_some(),
            fault.degrade.is_some(),
            fault.slow.is_some(),
            fault.clock_skew.is_some(),
            fault.region_outage.is_some(),
            fault.join.is_some(),
            fault.leave.is_some(),
            fault.fail.is_some(),
        ]
        .iter()
        .zip(FAULT_KIND_KEYS)
        .filter(|(present, _)| **present)
        .map(|(_, name)| name)
        .collect();
        let kind = match kinds.as_slice() {
            [one] => *one,
            [] => {
                return Err(Diagnostic::error(
                    self.source,
                    span,
                    "this fault says when but not what",
                )
                .with_help(format!(
                    "add exactly one of {}",
                    FAULT_KIND_KEYS.map(|k| format!("`{k}`")).join(", ")
                )))
            }
            many => {
                return Err(Diagnostic::error(
                    self.source,
                    span,
                    format!(
                        "one fault per [[fault]] entry, this one has {}",
                        many.join(" and ")
                    ),
                )
                .with_help("split it into several [[fault]] entries"))
            }
        };
        if let (Some(detect), false) = (&fault.detect_after, kind == "fail") {
            return Err(Diagnostic::error(
                self.source,
                detect.span(),
                "`detect_after` only goes with `fail`",
            ));
        }
        if matches!(kind, "join" | "leave" | "fail") {
            return Ok((at, self.membership(kind, fault)?));
        }
        let duration = match (&fault.duration, &fault.restart_after) {
            (Some(_), Some(after)) => {
                return Err(Diagnostic::error(
                    self.source,
                    after.span(),
                    "give `duration` or `restart_after`, not both",
                ))
            }
            (Some(d), None) | (None, Some(d)) => Some(self.duration(d)?),
            (None, None) => None,
        };
        if let (Some(after), false) = (&fault.restart_after, kind == "crash") {
            return Err(Diagnostic::error(
                self.source,
                after.span(),
                "`restart_after` only goes with `crash`",
            ));
        }
        let needs_duration = |what: &str| -> Result<SimDuration, Diagnostic> {
            duration.ok_or_else(|| {
                Diagnostic::error(
                    self.source,
                    span.clone(),
                    format!("a `{what}` fault needs `duration`"),
                )
            })
        };
        let no_duration = |what: &str| -> Result<(), Diagnostic> {
            match &fault.duration {
                Some(d) => Err(Diagnostic::error(
                    self.source,
                    d.span(),
                    format!("a `{what}` fault has no duration"),
                )),
                None => Ok(()),
            }
        };
        let parsed = match kind {
            "crash" => {
                let nodes = self.nodes(fault.crash.as_ref().expect("kind"))?;
                match duration {
                    Some(after) => Fault::CrashRestart { nodes, after },
                    None => Fault::Crash { nodes },
                }
            }
            "restart" => {
                no_duration("restart")?;
                Fault::Restart {
                    nodes: self.nodes(fault.restart.as_ref().expect("kind"))?,
                }
            }
            "partition" => {
                let spec = fault.partition.as_ref().expect("kind").get_ref();
                let from = self.nodes(&spec.from)?;
                let to = match &spec.to {
                    Some(to) => self.nodes(to)?,
                    None => from.complement(self.directory.n_nodes),
                };
                Fault::Partition {
                    name: spec
                        .name
                        .clone()
                        .unwrap_or_else(|| format!("partition-{index}")),
                    from,
                    to,
                    direction: if spec.one_way {
                        Direction::OneWay
                    } else {
                        Direction::Both
                    },
                    duration,
                }
            }
            "isolate" => {
                let from = self.nodes(fault.isolate.as_ref().expect("kind"))?;
                Fault::Partition {
                    name: format!("isolate-{index}"),
                    to: from.complement(self.directory.n_nodes),
                    from,
                    direction: Direction::Both,
                    duration,
                }
            }
            "heal" => {
                no_duration("heal")?;
                let heal = fault.heal.as_ref().expect("kind");
                let name = heal.get_ref();
                if name != "all" && !self.partitions.contains(name) {
                    let names = self.partitions.iter().map(String::as_str).chain(["all"]);
                    return Err(Diagnostic::error(
                        self.source,
                        heal.span(),
                        format!("`heal` names partition {name:?}, but no [[fault]] creates a partition by that name"),
                    )
                    .with_help(suggest(name, names)));
                }
                Fault::Heal {
                    name: (name != "all").then(|| name.clone()),
                }
            }
            "degrade" => {
                let spec = fault.degrade.as_ref().expect("kind").get_ref();
                let extra_latency = match &spec.extra_latency {
                    Some(text) => self.duration(text)?,
                    None => SimDuration::ZERO,
                };
                Fault::LinkDegrade {
                    from: self.nodes(&spec.from)?,
                    to: match &spec.to {
                        Some(to) => self.nodes(to)?,
                        None => sim_core::NodeSet::all(self.directory.n_nodes),
                    },
                    extra_latency,
                    loss: self.probability(&spec.loss, "degrade loss")?,
                    duplicate: self.probability(&spec.duplicate, "degrade duplicate")?,
                    duration: needs_duration("degrade")?,
                }
            }
            "slow" => {
                let spec = fault.slow.as_ref().expect("kind").get_ref();
                let factor = *spec.factor.get_ref();
                if !(factor.is_finite() && factor > 0.0) {
                    return Err(Diagnostic::error(
                        self.source,
                        spec.factor.span(),
                        format!("slow factor must be a finite number > 0, got {factor}"),
                    ));
                }
                Fault::SlowNode {
                    nodes: self.nodes(&spec.nodes)?,
                    factor,
                    duration: needs_duration("slow")?,
                }
            }
            "clock_skew" => {
                no_duration("clock_skew")?;
                let spec = fault.clock_skew.as_ref().expect("kind").get_ref();
                let offset_ns = match &spec.offset {
                    None => 0,
                    Some(text) => self.signed_offset(text)?,
                };
                let drift_ppm = spec.drift_ppm.as_ref().map_or(0.0, |d| *d.get_ref());
                if !(drift_ppm.is_finite() && drift_ppm.abs() < 1e6) {
                    let span = spec.drift_ppm.as_ref().map_or(span.clone(), Spanned::span);
                    return Err(Diagnostic::error(
                        self.source,
                        span,
                        format!("drift_ppm must be within ±1000000, got {drift_ppm}"),
                    ));
                }
                Fault::ClockSkew {
                    nodes: self.nodes(&spec.nodes)?,
                    offset_ns,
                    drift_ppm,
                }
            }
            "region_outage" => {
                let name = fault.region_outage.as_ref().expect("kind");
                let region = self.region(name)?;
                Fault::RegionOutage { region, duration }
            }
            other => unreachable!("fault kind {other} is in FAULT_KIND_KEYS"),
        };
        Ok((at, FaultAction::Engine(parsed)))
    }

    /// A `join`, `leave` or `fail` entry. Whether its nodes belong to a placed group, and
    /// are members or not at that time, is checked against the whole timeline later
    /// (`crate::placement::membership_timeline`).
    fn membership(&self, kind: &str, fault: &FaultSection) -> Result<FaultAction, Diagnostic> {
        let (selectors, change, entry, undo) = match kind {
            "join" => (
                &fault.join,
                MembershipKind::Join,
                "join",
                "a later `leave` undoes it",
            ),
            "leave" => (
                &fault.leave,
                MembershipKind::Leave,
                "leave",
                "a later `join` undoes it",
            ),
            _ => (
                &fault.fail,
                MembershipKind::Leave,
                "fail",
                "a `restart` entry restarts the node and a `join` brings it back",
            ),
        };
        let selectors = selectors.as_ref().expect("kind");
        if let Some(extra) = fault.duration.as_ref().or(fault.restart_after.as_ref()) {
            return Err(Diagnostic::error(
                self.source,
                extra.span(),
                format!("a `{kind}` fault has no duration"),
            )
            .with_help(undo));
        }
        let nodes = self.nodes(selectors)?;
        let change = MembershipChange {
            kind: change,
            entry,
            nodes,
            span: selectors.span(),
        };
        if kind != "fail" {
            return Ok(FaultAction::Membership(change));
        }
        let detect_after = match &fault.detect_after {
            Some(text) => self.duration(text)?,
            None => SimDuration::ZERO,
        };
        Ok(FaultAction::Fail {
            crash: Fault::Crash {
                nodes: change.nodes.clone(),
            },
            detect_after,
            leave: change,
        })
    }

    fn signed_offset(&self, text: &Spanned<String>) -> Result<i64, Diagnostic> {
        let raw = text.get_ref().trim();
        let (negative, magnitude) = match raw.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, raw.strip_prefix('+').unwrap_or(raw)),
        };
        let nanos = parse_duration(magnitude)
            .map_err(|e| Diagnostic::error(self.source, text.span(), e.message))?
            .as_nanos();
        let nanos = i64::try_from(nanos)
            .map_err(|_| Diagnostic::error(self.source, text.span(), "clock offset too large"))?;
        Ok(if negative { -nanos } else { nanos })
    }

    fn region(&self, name: &Spanned<String>) -> Result<RegionId, Diagnostic> {
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

    /// The crash process a `[[fault_process]]` describes.
    pub fn parse_process(
        &self,
        section: &Spanned<FaultProcessSection>,
    ) -> Result<CrashProcess, Diagnostic> {
        let process = section.get_ref();
        let mean = |text: &Spanned<String>, what: &str| -> Result<SimDuration, Diagnostic> {
            let value = self.duration(text)?;
            if value == SimDuration::ZERO {
                return Err(Diagnostic::error(
                    self.source,
                    text.span(),
                    format!("{what} must be longer than 0"),
                ));
            }
            Ok(value)
        };
        Ok(CrashProcess {
            nodes: self.nodes(&process.nodes)?,
            mtbf: mean(&process.mtbf, "mtbf")?,
            mttr: mean(&process.mttr, "mttr")?,
        })
    }
}

/// The span of a fault's `at`, for warnings about its timing.
pub fn at_span(section: &Spanned<FaultSection>) -> Range<usize> {
    section.get_ref().at.span()
}
