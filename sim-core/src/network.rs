//! The network between nodes: topology, latency rules, bandwidth, loss, duplication, FIFO
//! links, partitions and link degradation.
//!
//! Nodes live in zones, and zones in regions. A message's one-way latency is drawn from the
//! most specific rule that matches its link: node pair, then zone pair, then region pair, then
//! the default. Pair rules are symmetric. Bandwidth is a property of the sender's link: a
//! message waits for the messages the sender queued before it, then takes `size * 8 /
//! bandwidth` to serialize, then travels.
//!
//! # What happens to a message
//!
//! At send time, in this order: if a partition blocks `sender -> receiver`, the message is
//! dropped (cause `partition`) without using the link. Otherwise it is serialized on the
//! sender's link, then lost with the link's loss probability (cause `loss`; it did use the
//! link), otherwise it is scheduled to arrive after the drawn latency plus any degradation's
//! extra latency. With the duplication probability a second copy is scheduled with its own
//! latency draw. With `fifo` on, a message never arrives before an earlier message on the same
//! directed link.
//!
//! At delivery time: if the receiver is down, the message is dropped (`receiver_down`); if a
//! partition now blocks the link, the message was in flight when the partition began and is
//! dropped (`partition`). A message whose *sender* crashed after sending is still delivered:
//! it was already on the wire. A receiver that crashed and restarted while the message was in
//! flight receives it (the network does not know about incarnations). A node's messages to
//! itself skip the network: they arrive at once and are never dropped.

use std::collections::{BTreeMap, HashMap};

use rand::Rng;

use crate::dist::Distribution;
use crate::error::{check_probability, ConfigError};
use crate::ids::NodeId;
use crate::nodeset::{NodeBits, NodeSet};
use crate::rng::SimRng;
use crate::time::{SimDuration, SimTime, NANOS_PER_SEC};

/// A region's index in the [`Topology`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RegionId(pub u16);

/// A zone's index in the [`Topology`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ZoneId(pub u16);

/// Regions and the zones inside them.
#[derive(Clone, Debug, Default)]
pub struct Topology {
    regions: Vec<String>,
    zones: Vec<(String, RegionId)>,
}

impl Topology {
    /// An empty topology. A simulation whose nodes name no zone gets one region and one zone,
    /// both called `default`.
    pub fn new() -> Self {
        Topology::default()
    }

    /// Adds a region and returns its id.
    pub fn add_region(&mut self, name: &str) -> RegionId {
        assert!(self.regions.len() < u16::MAX as usize, "too many regions");
        self.regions.push(name.to_string());
        RegionId(self.regions.len() as u16 - 1)
    }

    /// Adds a zone inside `region` and returns its id.
    pub fn add_zone(&mut self, region: RegionId, name: &str) -> Result<ZoneId, ConfigError> {
        self.check_region("zone's region", region)?;
        assert!(self.zones.len() < u16::MAX as usize, "too many zones");
        self.zones.push((name.to_string(), region));
        Ok(ZoneId(self.zones.len() as u16 - 1))
    }

    /// The region a zone belongs to.
    pub fn region_of(&self, zone: ZoneId) -> RegionId {
        self.zones[zone.0 as usize].1
    }

    /// Number of regions.
    pub fn n_regions(&self) -> u16 {
        self.regions.len() as u16
    }

    /// Number of zones.
    pub fn n_zones(&self) -> u16 {
        self.zones.len() as u16
    }

    /// A region's name.
    pub fn region_name(&self, region: RegionId) -> &str {
        &self.regions[region.0 as usize]
    }

    /// A zone's name.
    pub fn zone_name(&self, zone: ZoneId) -> &str {
        &self.zones[zone.0 as usize].0
    }

    /// Adds the `default` region and zone if there are none yet; returns the first zone.
    pub(crate) fn ensure_default_zone(&mut self) -> ZoneId {
        if self.zones.is_empty() {
            let region = if self.regions.is_empty() {
                self.add_region("default")
            } else {
                RegionId(0)
            };
            self.zones.push(("default".to_string(), region));
        }
        ZoneId(0)
    }

    /// Fails unless `region` exists.
    pub fn check_region(&self, what: &'static str, region: RegionId) -> Result<(), ConfigError> {
        if region.0 < self.n_regions() {
            Ok(())
        } else {
            Err(ConfigError::UnknownRegion {
                what,
                region: region.0,
                n_regions: self.n_regions(),
            })
        }
    }

    /// Fails unless `zone` exists.
    pub fn check_zone(&self, what: &'static str, zone: ZoneId) -> Result<(), ConfigError> {
        if zone.0 < self.n_zones() {
            Ok(())
        } else {
            Err(ConfigError::UnknownZone {
                what,
                zone: zone.0,
                n_zones: self.n_zones(),
            })
        }
    }
}

/// Orders a symmetric pair so `(a, b)` and `(b, a)` are one key.
fn pair_key<T: Ord>(a: T, b: T) -> (T, T) {
    if a <= b {
        (a, b)
    } else {
        (b, a)
    }
}

/// The network's static configuration. Durations in latency distributions are nanoseconds.
#[derive(Clone, Debug)]
pub struct NetworkConfig {
    default_latency: Distribution,
    region_rules: BTreeMap<(RegionId, RegionId), Distribution>,
    zone_rules: BTreeMap<(ZoneId, ZoneId), Distribution>,
    node_rules: BTreeMap<(NodeId, NodeId), Distribution>,
    bandwidth_bps: Option<u64>,
    loss: f64,
    duplicate: f64,
    fifo: bool,
}

impl NetworkConfig {
    /// A lossless network with unlimited bandwidth, no duplication, no FIFO guarantee, and
    /// `default_latency` on every link.
    pub fn new(default_latency: Distribution) -> Self {
        NetworkConfig {
            default_latency,
            region_rules: BTreeMap::new(),
            zone_rules: BTreeMap::new(),
            node_rules: BTreeMap::new(),
            bandwidth_bps: None,
            loss: 0.0,
            duplicate: 0.0,
            fifo: false,
        }
    }

    /// The latency of links no rule covers.
    pub fn default_latency(&self) -> &Distribution {
        &self.default_latency
    }

    /// Latency between (and within, if `a == b`) two regions.
    pub fn region_latency(&mut self, a: RegionId, b: RegionId, latency: Distribution) {
        self.region_rules.insert(pair_key(a, b), latency);
    }

    /// Latency between (and within, if `a == b`) two zones; overrides region rules.
    pub fn zone_latency(&mut self, a: ZoneId, b: ZoneId, latency: Distribution) {
        self.zone_rules.insert(pair_key(a, b), latency);
    }

    /// Latency between two nodes; overrides every other rule.
    pub fn node_latency(&mut self, a: NodeId, b: NodeId, latency: Distribution) {
        self.node_rules.insert(pair_key(a, b), latency);
    }

    /// Each sender's link bandwidth in bits per second; `None` means unlimited.
    pub fn set_bandwidth_bps(&mut self, bandwidth_bps: Option<u64>) -> Result<(), ConfigError> {
        if bandwidth_bps == Some(0) {
            return Err(ConfigError::TooSmall {
                what: "bandwidth (bits/s)",
                min: 1,
                value: 0,
            });
        }
        self.bandwidth_bps = bandwidth_bps;
        Ok(())
    }

    /// Probability that a message is lost.
    pub fn set_loss(&mut self, loss: f64) -> Result<(), ConfigError> {
        self.loss = check_probability("network loss", loss)?;
        Ok(())
    }

    /// Probability that a message is delivered twice.
    pub fn set_duplicate(&mut self, duplicate: f64) -> Result<(), ConfigError> {
        self.duplicate = check_probability("network duplication", duplicate)?;
        Ok(())
    }

    /// Whether each directed link delivers in send order.
    pub fn set_fifo(&mut self, fifo: bool) {
        self.fifo = fifo;
    }

    /// Checks every rule names a region, zone and node that exists.
    pub(crate) fn validate(&self, topology: &Topology, n_nodes: u32) -> Result<(), ConfigError> {
        for (a, b) in self.region_rules.keys() {
            topology.check_region("region latency rule", *a)?;
            topology.check_region("region latency rule", *b)?;
        }
        for (a, b) in self.zone_rules.keys() {
            topology.check_zone("zone latency rule", *a)?;
            topology.check_zone("zone latency rule", *b)?;
        }
        for (a, b) in self.node_rules.keys() {
            for node in [a, b] {
                if node.0 >= n_nodes {
                    return Err(ConfigError::UnknownNode {
                        what: "node latency rule",
                        node: *node,
                        n_nodes,
                    });
                }
            }
        }
        Ok(())
    }
}

/// Why a message was dropped; each cause is counted as `net.dropped.<name>`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum DropCause {
    /// A partition blocked the link, at send time or while the message was in flight.
    Partition,
    /// Random loss (the network's, or a degradation's).
    Loss,
    /// The receiver was down when the message arrived.
    ReceiverDown,
}

impl DropCause {
    /// Every cause, in counter order.
    pub const ALL: [DropCause; 3] = [
        DropCause::Partition,
        DropCause::Loss,
        DropCause::ReceiverDown,
    ];

    /// The cause's name in metric paths.
    pub fn name(self) -> &'static str {
        match self {
            DropCause::Partition => "partition",
            DropCause::Loss => "loss",
            DropCause::ReceiverDown => "receiver_down",
        }
    }
}

/// An active blocked relation: messages from any `from` node to any `to` node are dropped.
#[derive(Clone, Debug)]
struct ActivePartition {
    /// The fault that created it, for targeted heals.
    name: String,
    from: NodeBits,
    to: NodeBits,
}

/// An active link degradation between two node sets (one direction).
#[derive(Clone, Debug)]
struct ActiveDegradation {
    id: u64,
    from: NodeBits,
    to: NodeBits,
    extra_latency: SimDuration,
    loss: f64,
    duplicate: f64,
}

/// What the network decided for one message at send time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Route {
    /// Dropped at once.
    Dropped(DropCause),
    /// Arrives at `arrival`, and a duplicate at `copy` if one was made.
    Deliver {
        arrival: SimTime,
        copy: Option<SimTime>,
    },
}

/// Per-sender state the network needs, owned by the engine's node slot.
pub(crate) struct SenderLink<'a> {
    pub zone: ZoneId,
    pub egress_free_at: &'a mut SimTime,
    pub rng: &'a mut SimRng,
}

/// The network at run time: compiled latency rules plus the active faults.
#[derive(Debug)]
pub(crate) struct Network {
    config: NetworkConfig,
    /// Distinct latency distributions; matrix and map entries index into this.
    dists: Vec<Distribution>,
    /// `zone_matrix[a * n_zones + b]`: the rule for zones `a -> b` (zone, region or default).
    zone_matrix: Vec<u32>,
    n_zones: usize,
    /// Node-pair rules, looked up (never iterated) per message.
    node_rules: HashMap<(NodeId, NodeId), u32>,
    partitions: Vec<ActivePartition>,
    degradations: Vec<ActiveDegradation>,
    /// Latest scheduled arrival per directed link, for FIFO links (lookup only).
    fifo_last: HashMap<(NodeId, NodeId), SimTime>,
}

impl Network {
    /// Compiles `config` for `topology`: the rule lookup becomes one matrix index per message.
    pub(crate) fn compile(config: NetworkConfig, topology: &Topology) -> Network {
        let n_zones = topology.n_zones() as usize;
        let mut dists = vec![config.default_latency.clone()];
        let mut region_idx = BTreeMap::new();
        for (key, dist) in &config.region_rules {
            region_idx.insert(*key, dists.len() as u32);
            dists.push(dist.clone());
        }
        let mut zone_idx = BTreeMap::new();
        for (key, dist) in &config.zone_rules {
            zone_idx.insert(*key, dists.len() as u32);
            dists.push(dist.clone());
        }
        let mut zone_matrix = vec![0u32; n_zones * n_zones];
        for a in 0..n_zones {
            for b in 0..n_zones {
                let (za, zb) = (ZoneId(a as u16), ZoneId(b as u16));
                let by_region =
                    region_idx.get(&pair_key(topology.region_of(za), topology.region_of(zb)));
                zone_matrix[a * n_zones + b] = zone_idx
                    .get(&pair_key(za, zb))
                    .or(by_region)
                    .copied()
                    .unwrap_or(0);
            }
        }
        let mut node_rules = HashMap::new();
        for ((a, b), dist) in &config.node_rules {
            let idx = dists.len() as u32;
            dists.push(dist.clone());
            node_rules.insert((*a, *b), idx);
            node_rules.insert((*b, *a), idx);
        }
        Network {
            config,
            dists,
            zone_matrix,
            n_zones,
            node_rules,
            partitions: Vec::new(),
            degradations: Vec::new(),
            fifo_last: HashMap::new(),
        }
    }

    /// Whether an active partition blocks `from -> to`.
    #[inline]
    pub(crate) fn is_blocked(&self, from: NodeId, to: NodeId) -> bool {
        self.partitions
            .iter()
            .any(|p| p.from.contains(from) && p.to.contains(to))
    }

    /// Decides the fate of one message sent now. Draws from the sender's network stream in a
    /// fixed order: loss, latency, duplication, the copy's latency.
    ///
    /// Inline into the send, with [`Network::arrival`]: as calls, their register saves and
    /// the copies of their arguments were a tenth of a message's instructions (ping-pong,
    /// callgrind).
    #[inline(always)]
    pub(crate) fn route(
        &mut self,
        now: SimTime,
        from: NodeId,
        to: NodeId,
        to_zone: ZoneId,
        size_bytes: u64,
        sender: SenderLink<'_>,
    ) -> Route {
        if self.is_blocked(from, to) {
            return Route::Dropped(DropCause::Partition);
        }
        let mut departure = now;
        if let Some(bps) = self.config.bandwidth_bps {
            let start = now.max(*sender.egress_free_at);
            let bits = u128::from(size_bytes) * 8;
            let nanos = (bits * u128::from(NANOS_PER_SEC)).div_ceil(u128::from(bps));
            departure = start + SimDuration(u64::try_from(nanos).unwrap_or(u64::MAX));
            *sender.egress_free_at = departure;
        }
        let (mut loss, mut duplicate, mut extra) =
            (self.config.loss, self.config.duplicate, SimDuration::ZERO);
        for d in &self.degradations {
            if d.from.contains(from) && d.to.contains(to) {
                // Independent loss processes: survive both.
                loss = 1.0 - (1.0 - loss) * (1.0 - d.loss);
                duplicate = 1.0 - (1.0 - duplicate) * (1.0 - d.duplicate);
                extra = extra + d.extra_latency;
            }
        }
        if loss > 0.0 && sender.rng.random::<f64>() < loss {
            return Route::Dropped(DropCause::Loss);
        }
        let dist_idx = self.latency_rule(from, to, sender.zone, to_zone);
        let arrival = self.arrival(from, to, departure, extra, dist_idx, sender.rng);
        let copy = (duplicate > 0.0 && sender.rng.random::<f64>() < duplicate)
            .then(|| self.arrival(from, to, departure, extra, dist_idx, sender.rng));
        Route::Deliver { arrival, copy }
    }

    #[inline(always)]
    fn latency_rule(&self, from: NodeId, to: NodeId, from_zone: ZoneId, to_zone: ZoneId) -> u32 {
        if !self.node_rules.is_empty() {
            if let Some(idx) = self.node_rules.get(&(from, to)) {
                return *idx;
            }
        }
        self.zone_matrix[from_zone.0 as usize * self.n_zones + to_zone.0 as usize]
    }

    #[inline(always)]
    fn arrival(
        &mut self,
        from: NodeId,
        to: NodeId,
        departure: SimTime,
        extra: SimDuration,
        dist_idx: u32,
        rng: &mut SimRng,
    ) -> SimTime {
        let latency = self.dists[dist_idx as usize].sample_duration(rng);
        let mut arrival = departure.saturating_add(latency).saturating_add(extra);
        if self.config.fifo {
            let last = self.fifo_last.entry((from, to)).or_insert(SimTime::ZERO);
            arrival = arrival.max(*last);
            *last = arrival;
        }
        arrival
    }

    /// Starts blocking every link from `from` to `to`.
    pub(crate) fn add_partition(&mut self, name: &str, from: &NodeSet, to: &NodeSet, n: u32) {
        self.partitions.push(ActivePartition {
            name: name.to_string(),
            from: NodeBits::from_set(from, n),
            to: NodeBits::from_set(to, n),
        });
    }

    /// Removes the partitions called `name`, or all of them; returns how many were removed.
    pub(crate) fn heal(&mut self, name: Option<&str>) -> usize {
        let before = self.partitions.len();
        self.partitions
            .retain(|p| name.is_some_and(|name| p.name != name));
        before - self.partitions.len()
    }

    /// Starts a link degradation with identifier `id`.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn add_degradation(
        &mut self,
        id: u64,
        from: &NodeSet,
        to: &NodeSet,
        n: u32,
        extra_latency: SimDuration,
        loss: f64,
        duplicate: f64,
    ) {
        self.degradations.push(ActiveDegradation {
            id,
            from: NodeBits::from_set(from, n),
            to: NodeBits::from_set(to, n),
            extra_latency,
            loss,
            duplicate,
        });
    }

    /// Ends the degradation with identifier `id`; returns whether it was active.
    pub(crate) fn remove_degradation(&mut self, id: u64) -> bool {
        let before = self.degradations.len();
        self.degradations.retain(|d| d.id != id);
        before != self.degradations.len()
    }

    /// Whether a partition called `name` is active.
    pub(crate) fn has_partition(&self, name: &str) -> bool {
        self.partitions.iter().any(|p| p.name == name)
    }

    /// Moves the active partitions, degradations and FIFO state of `old` into this network
    /// (used when the configuration is recompiled between runs).
    pub(crate) fn take_faults_from(&mut self, old: &mut Network) {
        self.partitions = std::mem::take(&mut old.partitions);
        self.degradations = std::mem::take(&mut old.degradations);
        self.fifo_last = std::mem::take(&mut old.fifo_last);
    }
}
