//! A group's `service = {...}`: workers, service times per operation, an optional bounded
//! queue that rejects or drops on overflow, contention (service time that grows with the
//! work in service), and overload control: adaptive LIFO, a queue timeout, CoDel.

use std::num::NonZeroU32;

use sim_core::{Distribution, Overflow, ServiceModel};
use toml::Spanned;

use crate::format::diag::{suggest, Diagnostic, Source};
use crate::format::quantity::Dimension;
use crate::format::schema::{DistSpec, ServiceSpec};
use crate::format::values::positive_u32;
use crate::sections::distributions::{dist_at, ParseDist};
use sim_core::registry::Registry;

/// Most workers one node may have: each worker is a slot in the node's run-time state, and
/// no real server runs a million threads.
const WORKERS_MAX: u32 = 1_000_000;

/// The service model of group `group`.
pub fn build_service(
    source: &Source,
    group: &str,
    spec: &Spanned<ServiceSpec>,
    dists: &Registry<ParseDist>,
) -> Result<ServiceModel, Diagnostic> {
    let service = spec.get_ref();
    let workers = positive_u32(source, &service.workers, "workers")?;
    if workers > WORKERS_MAX {
        return Err(Diagnostic::error(
            source,
            service.workers.span(),
            format!("workers must be a whole number from 1 to {WORKERS_MAX}, got {workers}"),
        ));
    }
    let base = dist_at(source, &service.time, Dimension::Duration, dists)?;
    let per_op = |op: &Option<Spanned<DistSpec>>| -> Result<Distribution, Diagnostic> {
        match op {
            Some(spec) => dist_at(source, spec, Dimension::Duration, dists),
            None => Ok(base.clone()),
        }
    };
    let times = vec![
        per_op(&service.read_time)?,
        per_op(&service.write_time)?,
        per_op(&service.delete_time)?,
    ];
    let mut model = ServiceModel::new(
        group,
        NonZeroU32::new(workers).expect("positive"),
        base.clone(),
    )
    .with_op_times(times)
    .expect("three operation kinds");
    if let Some(queue) = &service.queue {
        let capacity = u32::try_from(*queue.get_ref()).map_err(|_| {
            Diagnostic::error(
                source,
                queue.span(),
                format!("queue must be a whole number >= 0, got {}", queue.get_ref()),
            )
        })?;
        let overflow = match service
            .overflow
            .as_ref()
            .map(|o| (o.get_ref().as_str(), o.span()))
        {
            None | Some(("reject", _)) => Overflow::Reject,
            Some(("drop", _)) => Overflow::Drop,
            Some((other, span)) => {
                return Err(
                    Diagnostic::error(source, span, format!("unknown overflow {other:?}"))
                        .with_help(suggest(other, ["reject", "drop"])),
                )
            }
        };
        model = model.with_queue_capacity(capacity, overflow);
    } else if let Some(overflow) = &service.overflow {
        return Err(Diagnostic::error(
            source,
            overflow.span(),
            "`overflow` needs a bounded `queue`",
        ));
    }
    if let Some(text) = &service.contention {
        let per_job = crate::format::units::parse_duration(text.get_ref())
            .map_err(|e| Diagnostic::error(source, text.span(), e.message))?;
        if per_job > sim_core::SimDuration::ZERO && workers == 1 {
            return Err(Diagnostic::error(
                source,
                text.span(),
                "`contention` slows an item per other item in service, and with one worker there is none",
            )
            .with_help("give the group more `workers`, or drop `contention`"));
        }
        model = model.with_contention(per_job);
    }
    let mut policy = sim_core::QueuePolicy::default();
    if let Some(n) = &service.lifo_above {
        policy.lifo_above = Some(u32::try_from(*n.get_ref()).map_err(|_| {
            Diagnostic::error(
                source,
                n.span(),
                format!(
                    "lifo_above is a number of waiting requests, a whole number >= 0; got {}",
                    n.get_ref()
                ),
            )
        })?);
    }
    let positive = |text: &Spanned<String>, what: &str| {
        crate::format::params::positive_duration(source, text, what)
    };
    if let Some(text) = &service.queue_timeout {
        policy.timeout = Some(positive(text, "queue_timeout")?);
    }
    if let Some(codel) = &service.codel {
        let span = codel.span();
        let written = codel.get_ref();
        let parse =
            |text: &str, what: &str| positive(&Spanned::new(span.clone(), text.to_string()), what);
        let target = parse(&written.target, "codel.target")?;
        let interval = parse(&written.interval, "codel.interval")?;
        if target > interval {
            return Err(Diagnostic::error(
                source,
                span,
                format!("codel's target ({target}) is longer than its interval ({interval}): under standing overload it would allow more wait than after an empty queue"),
            )
            .with_help("e.g. codel = { target = \"5ms\", interval = \"100ms\" }"));
        }
        policy.codel = Some(sim_core::Codel { target, interval });
    }
    if policy.is_active() {
        model = model.with_queue_policy(policy);
    }
    Ok(model)
}
