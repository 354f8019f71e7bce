//! Faults as data: what can go wrong, when, and the record of what did.
//!
//! A run's faults are a timeline of `(time, Fault)` entries plus optional random crash
//! processes (exponential time to failure and to repair, per node). The engine fires each as an
//! event, so faults interleave deterministically with everything else. Every fault that fires
//! is counted (`faults.fired`, `faults.fired.<kind>`) and logged as a [`FaultRecord`] with its
//! time, so a scenario can never silently not inject its faults.
//!
//! A new engine-level fault kind goes here (a variant, its validation and its `kind_name`)
//! and in `inject.rs` (its `apply_*` function, and an `end_*` if it has a window); its
//! scenario row goes in `scenarios/src/sections/faults/` (`docs/architecture.md`, "How to add
//! X").

use crate::error::{check_finite, check_positive, check_probability, ConfigError};
use crate::network::RegionId;
use crate::nodeset::NodeSet;
use crate::time::{SimDuration, SimTime};

/// Which directions a partition blocks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    /// Both `from -> to` and `to -> from`.
    Both,
    /// Only `from -> to`; replies still get through.
    OneWay,
}

/// One thing that goes wrong.
#[derive(Clone, Debug, PartialEq)]
pub enum Fault {
    /// The nodes stop: queued work and pending timers are dropped, `on_crash` is called, and
    /// messages arriving while down are dropped.
    Crash {
        /// Which nodes.
        nodes: NodeSet,
    },
    /// Crashed nodes come back and `on_restart` is called.
    Restart {
        /// Which nodes.
        nodes: NodeSet,
    },
    /// A crash now and a restart `after` later.
    CrashRestart {
        /// Which nodes.
        nodes: NodeSet,
        /// Downtime.
        after: SimDuration,
    },
    /// Messages from `from` to `to` (and back, for [`Direction::Both`]) are dropped until a
    /// matching [`Fault::Heal`] or for `duration`.
    Partition {
        /// Name for targeted heals and the fault log.
        name: String,
        /// One side.
        from: NodeSet,
        /// The other side.
        to: NodeSet,
        /// Which directions are blocked.
        direction: Direction,
        /// Heals by itself after this long, if set.
        duration: Option<SimDuration>,
    },
    /// Removes the partition called `name`, or every partition.
    Heal {
        /// Which partition; `None` heals all.
        name: Option<String>,
    },
    /// For `duration`, links from `from` to `to` get extra latency, loss and duplication.
    LinkDegrade {
        /// Senders affected.
        from: NodeSet,
        /// Receivers affected.
        to: NodeSet,
        /// Added to every message's latency.
        extra_latency: SimDuration,
        /// Extra loss probability (independent of the network's own).
        loss: f64,
        /// Extra duplication probability.
        duplicate: f64,
        /// How long it lasts.
        duration: SimDuration,
    },
    /// For `duration`, the nodes' service times are multiplied by `factor`.
    SlowNode {
        /// Which nodes.
        nodes: NodeSet,
        /// Service-time multiplier (> 0; 10 means ten times slower).
        factor: f64,
        /// How long it lasts.
        duration: SimDuration,
    },
    /// The nodes' local clocks jump by `offset_ns` and from now drift by `drift_ppm` parts per
    /// million. Only `Ctx::local_clock` sees it; simulated time is unaffected.
    ClockSkew {
        /// Which nodes.
        nodes: NodeSet,
        /// Step added to the local clock, in nanoseconds (may be negative).
        offset_ns: i64,
        /// Rate error from now on, in parts per million (may be negative).
        drift_ppm: f64,
    },
    /// Every node in the region crashes; restarts after `duration` if set.
    RegionOutage {
        /// Which region.
        region: RegionId,
        /// Downtime, if the region comes back.
        duration: Option<SimDuration>,
    },
}

impl Fault {
    /// The fault's kind in metric names and logs (`faults.fired.<kind>`): the one list of
    /// logged kind names (random crash processes log `crash` and `restart`).
    pub fn kind_name(&self) -> &'static str {
        match self {
            Fault::Crash { .. } => "crash",
            Fault::Restart { .. } => "restart",
            Fault::CrashRestart { .. } => "crash_restart",
            Fault::Partition { .. } => "partition",
            Fault::Heal { .. } => "heal",
            Fault::LinkDegrade { .. } => "link_degrade",
            Fault::SlowNode { .. } => "slow_node",
            Fault::ClockSkew { .. } => "clock_skew",
            Fault::RegionOutage { .. } => "region_outage",
        }
    }

    /// A symmetric partition cutting `node` off from every other node.
    pub fn isolate(name: &str, node: crate::NodeId, n_nodes: u32) -> Fault {
        let alone = NodeSet::single(node);
        Fault::Partition {
            name: name.to_string(),
            to: alone.complement(n_nodes),
            from: alone,
            direction: Direction::Both,
            duration: None,
        }
    }

    /// A symmetric partition between two groups (e.g. the two halves of a cluster).
    pub fn split(name: &str, a: NodeSet, b: NodeSet) -> Fault {
        Fault::Partition {
            name: name.to_string(),
            from: a,
            to: b,
            direction: Direction::Both,
            duration: None,
        }
    }

    /// Checks node ids, regions, probabilities and factors against a simulation of
    /// `n_nodes` nodes and `n_regions` regions.
    pub fn validate(&self, n_nodes: u32, n_regions: u16) -> Result<(), ConfigError> {
        let check_nodes = |what: &'static str, set: &NodeSet| -> Result<(), ConfigError> {
            if set.is_empty() {
                return Err(ConfigError::EmptyNodeSet { what });
            }
            match set.max() {
                Some(node) if node.0 >= n_nodes => Err(ConfigError::UnknownNode {
                    what,
                    node,
                    n_nodes,
                }),
                _ => Ok(()),
            }
        };
        match self {
            Fault::Crash { nodes }
            | Fault::Restart { nodes }
            | Fault::CrashRestart { nodes, .. } => check_nodes("crash/restart fault", nodes),
            Fault::Partition { from, to, .. } => {
                check_nodes("partition fault (from)", from)?;
                check_nodes("partition fault (to)", to)
            }
            Fault::Heal { .. } => Ok(()),
            Fault::LinkDegrade {
                from,
                to,
                loss,
                duplicate,
                ..
            } => {
                check_nodes("link degradation (from)", from)?;
                check_nodes("link degradation (to)", to)?;
                check_probability("link degradation loss", *loss)?;
                check_probability("link degradation duplication", *duplicate)?;
                Ok(())
            }
            Fault::SlowNode { nodes, factor, .. } => {
                check_nodes("slow-node fault", nodes)?;
                check_positive("slow-node factor", *factor)?;
                Ok(())
            }
            Fault::ClockSkew {
                nodes, drift_ppm, ..
            } => {
                check_nodes("clock-skew fault", nodes)?;
                check_finite("clock drift (ppm)", *drift_ppm)?;
                if drift_ppm.abs() >= 1e6 {
                    return Err(ConfigError::NotFinite {
                        what: "clock drift (ppm, must be within ±1000000)",
                        value: *drift_ppm,
                    });
                }
                Ok(())
            }
            Fault::RegionOutage { region, .. } => {
                if region.0 < n_regions {
                    Ok(())
                } else {
                    Err(ConfigError::UnknownRegion {
                        what: "region outage",
                        region: region.0,
                        n_regions,
                    })
                }
            }
        }
    }
}

/// Random crash-and-repair per node: each node in `nodes` runs for an exponential time with
/// mean `mtbf`, is down for an exponential time with mean `mttr`, and repeats. Each node's
/// draws come from its own stream, so adding a node changes nobody else's failures.
#[derive(Clone, Debug, PartialEq)]
pub struct CrashProcess {
    /// Which nodes fail.
    pub nodes: NodeSet,
    /// Mean time between failures.
    pub mtbf: SimDuration,
    /// Mean time to repair.
    pub mttr: SimDuration,
}

impl CrashProcess {
    /// Checks the node ids and that both means are positive.
    pub fn validate(&self, n_nodes: u32) -> Result<(), ConfigError> {
        Fault::Crash {
            nodes: self.nodes.clone(),
        }
        .validate(n_nodes, 0)?;
        for (what, mean) in [
            ("crash process mtbf", self.mtbf),
            ("crash process mttr", self.mttr),
        ] {
            if mean == SimDuration::ZERO {
                return Err(ConfigError::TooSmall {
                    what,
                    min: 1,
                    value: 0,
                });
            }
        }
        Ok(())
    }
}

/// One fault that fired, for the log and the timeline plot.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FaultRecord {
    /// When it fired.
    pub time: SimTime,
    /// When its effect ended, for faults with a known end (a window, a crash with a restart).
    pub end: Option<SimTime>,
    /// Its kind (`crash`, `partition`, ...).
    pub kind: &'static str,
    /// A human description: which nodes, which parameters.
    pub description: String,
}
