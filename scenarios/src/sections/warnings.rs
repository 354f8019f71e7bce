//! Valid but suspicious choices, found after every section is parsed: a group offered more
//! work than its workers can serve, a cache tier that holds every key its clients use, and a
//! protocol period shorter than the network's round trip.

use std::ops::Range;

use sim_core::{Distribution, NodeId};
use toml::Spanned;

use crate::format::diag::{counted, Diagnostic, Source};
use crate::format::schema::ScenarioFile;
use crate::sections::roles::GroupPlan;

/// Warns about every group whose busiest node is offered at least as much work as it can
/// serve. Each open-loop client spreads its rate evenly over its targets (exact for `random`
/// and `round_robin` routing, an average for `key_modulo`), and a balancer spreads what it
/// receives evenly over its backends (an average for the adaptive policies); a node's demand is its offered
/// reads, writes and deletes times their mean service times, divided by its workers.
pub fn utilisation_warnings(
    source: &Source,
    file: &ScenarioFile,
    groups: &[GroupPlan],
    warnings: &mut Vec<Diagnostic>,
) {
    // Offered requests per second by target node and operation (looked up, never iterated).
    let mut offered: std::collections::HashMap<NodeId, [f64; 3]> = Default::default();
    for group in groups {
        let Some(load) = group.builder.offered_load() else {
            continue;
        };
        let per_target = load.rate_per_s * f64::from(group.count) / load.targets.len() as f64;
        for target in &load.targets {
            let entry = offered.entry(*target).or_insert([0.0; 3]);
            for (slot, fraction) in entry.iter_mut().zip(load.op_fractions) {
                *slot += per_target * fraction;
            }
        }
    }
    // Balancers pass what they receive on to their backends, spread evenly (one level).
    for group in groups {
        let Some(backends) = group.builder.forwards_to() else {
            continue;
        };
        for node in group.first..group.first + group.count {
            let Some(rates) = offered.get(&NodeId(node)).copied() else {
                continue;
            };
            for backend in backends {
                let entry = offered.entry(*backend).or_insert([0.0; 3]);
                for (slot, rate) in entry.iter_mut().zip(rates) {
                    *slot += rate / backends.len() as f64;
                }
            }
        }
    }
    for (index, group) in groups.iter().enumerate() {
        let Some(service) = &group.service else {
            continue;
        };
        let mean_s: Vec<Option<f64>> = (0..3)
            .map(|op| {
                service
                    .op_time(sim_core::OpKind(op))
                    .and_then(Distribution::mean)
                    .map(|ns| ns / 1e9)
            })
            .collect();
        let workers = f64::from(service.workers().get());
        let busiest = (group.first..group.first + group.count)
            .filter_map(|n| offered.get(&NodeId(n)))
            .map(|rates| {
                let demand: f64 = rates
                    .iter()
                    .zip(&mean_s)
                    .map(|(rate, mean)| rate * mean.unwrap_or(0.0))
                    .sum();
                (rates.iter().sum::<f64>(), demand / workers)
            })
            .max_by(|a, b| a.1.total_cmp(&b.1));
        let Some((rate, utilisation)) = busiest else {
            continue;
        };
        if utilisation >= 1.0 {
            let span: Range<usize> = file.group[index]
                .get_ref()
                .service
                .as_ref()
                .map_or(file.group[index].span(), Spanned::span);
            let consequence = match service.queue_capacity() {
                None => "its queue will grow without bound".to_string(),
                Some(capacity) => format!(
                    "its queue (bound {capacity}) will fill and it will {} the excess",
                    match service.overflow() {
                        sim_core::Overflow::Reject => "reject",
                        sim_core::Overflow::Drop => "drop",
                    }
                ),
            };
            warnings.push(Diagnostic::warning(source, span, format!(
                "group {:?}: its busiest node is offered {rate:.0} requests/s, {utilisation:.2} times what its {} can serve: {consequence}",
                group.name,
                counted(service.workers().get(), "worker")
            )));
        }
    }
}

/// Warns about a cache group whose nodes together hold every key its clients use: every
/// policy then only takes compulsory misses, so comparing policies or sizes there says
/// nothing. The catalogue is the largest of the clients' (whose targets all lie in the group)
/// key spaces, in objects or in bytes (keys x mean value size).
pub fn catalogue_warnings(
    source: &Source,
    file: &ScenarioFile,
    groups: &[GroupPlan],
    warnings: &mut Vec<Diagnostic>,
) {
    for (index, group) in groups.iter().enumerate() {
        let Some(capacity) = group.builder.cache_capacity() else {
            continue;
        };
        let nodes = group.first..group.first + group.count;
        let catalogue = groups
            .iter()
            .filter_map(|g| g.builder.catalogue())
            .filter(|c| !c.targets.is_empty() && c.targets.iter().all(|t| nodes.contains(&t.0)))
            .map(|c| match capacity.unit() {
                models::cache::SizeUnit::Objects => c.n_keys as f64,
                models::cache::SizeUnit::Bytes => c.n_keys as f64 * c.value_bytes_mean,
            })
            .fold(None, |most: Option<f64>, c| {
                Some(most.map_or(c, |m| m.max(c)))
            });
        let Some(catalogue) = catalogue else {
            continue;
        };
        let total = capacity.amount() as f64 * f64::from(group.count);
        if total >= catalogue {
            let span = param_span(file, index, "capacity");
            warnings.push(Diagnostic::warning(
                source,
                span,
                format!(
                    "group {:?}: its {} hold {} {} in all, at least the whole catalogue \
                     its clients use ({}): after the first request of each key everything hits, \
                     whatever the policy",
                    group.name,
                    counted(group.count, "node"),
                    total,
                    capacity.unit().name(),
                    catalogue.round()
                ),
            ));
        }
    }
}

/// Warns about every group whose protocol period (gossip rounds) is shorter than the median
/// round trip of the network's default latency: a pull's answer, or a push's feedback, then
/// arrives after the next round has started, so rounds overlap and the theory's synchronous
/// rounds no longer describe the run. The median is estimated from 1 001 pairs of one-way
/// draws from a fixed stream (the same every time; a warning, not a measurement).
pub fn period_warnings(
    source: &Source,
    file: &ScenarioFile,
    groups: &[GroupPlan],
    network: &sim_core::NetworkConfig,
    warnings: &mut Vec<Diagnostic>,
) {
    let periods: Vec<(usize, sim_core::SimDuration)> = groups
        .iter()
        .enumerate()
        .filter_map(|(i, g)| g.builder.protocol_period().map(|p| (i, p)))
        .collect();
    if periods.is_empty() {
        return;
    }
    let mut rng = sim_core::rng::stream(
        0,
        sim_core::rng::StreamLabel::new(sim_core::rng::StreamKind::Engine, 0),
    );
    let latency = network.default_latency();
    let mut rtts: Vec<u64> = (0..1001)
        .map(|_| {
            let there = latency.sample_duration(&mut rng).as_nanos();
            there.saturating_add(latency.sample_duration(&mut rng).as_nanos())
        })
        .collect();
    rtts.sort_unstable();
    let median = sim_core::SimDuration::from_nanos(rtts[rtts.len() / 2]);
    for (index, period) in periods {
        if period < median {
            let span = param_span(file, index, "period");
            warnings.push(Diagnostic::warning(
                source,
                span,
                format!(
                    "group {:?}: its period ({period}) is shorter than the network's median round trip (about {median}): answers arrive after the next round has begun, so rounds overlap",
                    groups[index].name
                ),
            ));
        }
    }
}

/// Where group `index`'s role parameter `key` is written (its value), or the whole group
/// when the default applies.
fn param_span(file: &ScenarioFile, index: usize, key: &str) -> Range<usize> {
    let section = &file.group[index];
    section
        .get_ref()
        .params
        .iter()
        .find(|(k, _)| k.get_ref() == key)
        .map_or(section.span(), |(_, value)| value.span())
}
