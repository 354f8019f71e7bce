//! `[network]`: the default latency, bandwidth, loss, duplication, FIFO, and the
//! `[[network.rule]]` latencies between regions, zones or single nodes.

use sim_core::{Distribution, NetworkConfig, RegionId, Topology, ZoneId};
use toml::Spanned;

use crate::format::diag::{suggest, Diagnostic, Source};
use crate::format::quantity::Dimension;
use crate::format::schema::NetworkSection;
use crate::format::select::NodeDirectory;
use crate::format::units::parse_bandwidth_bps;
use crate::sections::distributions::{dist_at, ParseDist};
use sim_core::registry::Registry;

/// 220 us one-way, lognormal sigma 0.2: same-zone latency in AWS us-east-1 (0.446 ms mean
/// RTT, 0.078 ms mdev over 10 pings; docs/reference-numbers.md 2a, [S7]).
const LATENCY_DEFAULT_MEDIAN_NS: f64 = 220_000.0;
const LATENCY_DEFAULT_SIGMA: f64 = 0.2;

/// The network the section describes (the default one when it is absent).
pub fn build_network(
    source: &Source,
    section: Option<&Spanned<NetworkSection>>,
    topology: &Topology,
    zone_names: &[String],
    directory: &NodeDirectory,
    dists: &Registry<ParseDist>,
) -> Result<NetworkConfig, Diagnostic> {
    let default_latency =
        Distribution::lognormal_median(LATENCY_DEFAULT_MEDIAN_NS, LATENCY_DEFAULT_SIGMA)
            .expect("valid default");
    let Some(section) = section else {
        return Ok(NetworkConfig::new(default_latency));
    };
    let net = section.get_ref();
    let latency = match &net.latency {
        Some(spec) => dist_at(source, spec, Dimension::Duration, dists)?,
        None => default_latency,
    };
    let mut config = NetworkConfig::new(latency);
    if let Some(bandwidth) = &net.bandwidth {
        let bps = parse_bandwidth_bps(bandwidth.get_ref())
            .map_err(|e| Diagnostic::error(source, bandwidth.span(), e.message))?;
        config
            .set_bandwidth_bps(Some(bps))
            .expect("parser refuses 0");
    }
    for (value, what) in [(&net.loss, "loss"), (&net.duplicate, "duplicate")] {
        if let Some(p) = value {
            let result = if what == "loss" {
                config.set_loss(*p.get_ref())
            } else {
                config.set_duplicate(*p.get_ref())
            };
            result.map_err(|e| Diagnostic::error(source, p.span(), e.to_string()))?;
        }
    }
    config.set_fifo(net.fifo.unwrap_or(false));
    let region_names: Vec<&str> = (0..topology.n_regions())
        .map(|r| topology.region_name(RegionId(r)))
        .collect();
    for rule in &net.rule {
        let between = &rule.get_ref().between;
        let latency = dist_at(source, &rule.get_ref().latency, Dimension::Duration, dists)?;
        let [a, b] = between.get_ref().as_slice() else {
            return Err(Diagnostic::error(
                source,
                between.span(),
                "`between` takes exactly two names: regions, zones or single nodes",
            ));
        };
        // Bare names, or `region:NAME` / `zone:NAME` as in selectors (which also settles a
        // name that is both a region and a zone).
        let region = |n: &str| {
            let name = n.strip_prefix("region:").unwrap_or(n);
            (!n.starts_with("zone:"))
                .then(|| region_names.iter().position(|r| *r == name))
                .flatten()
                .map(|i| RegionId(i as u16))
        };
        let zone = |n: &str| {
            let name = n.strip_prefix("zone:").unwrap_or(n);
            (!n.starts_with("region:"))
                .then(|| zone_names.iter().position(|z| z == name))
                .flatten()
                .map(|i| ZoneId(i as u16))
        };
        let node = |n: &str| {
            directory
                .select(n)
                .ok()
                .filter(|s| s.len() == 1)
                .map(|s| s.nodes()[0])
        };
        if let (Some(ra), Some(rb)) = (region(a), region(b)) {
            config.region_latency(ra, rb, latency);
        } else if let (Some(za), Some(zb)) = (zone(a), zone(b)) {
            config.zone_latency(za, zb, latency);
        } else if let (Some(na), Some(nb)) = (node(a), node(b)) {
            config.node_latency(na, nb, latency);
        } else {
            let candidates: Vec<&str> = region_names
                .iter()
                .copied()
                .chain(zone_names.iter().map(String::as_str))
                .collect();
            let unknown = if region(a).is_none() && zone(a).is_none() && node(a).is_none() {
                a
            } else {
                b
            };
            return Err(Diagnostic::error(source, between.span(), format!("`between` must name two regions, two zones or two single nodes; {unknown:?} is none of these (or the two are of different kinds)"))
                .with_help(suggest(unknown, candidates)));
        }
    }
    Ok(config)
}
